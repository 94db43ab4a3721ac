import { fileURLToPath } from 'node:url';
import { BasculeError } from '../../domain/errors.js';
import { type LabVcenter, placementProblems, vmsOn } from './lab-state.js';
import { PtyProgram } from './pty.js';
import type { DemoScreen } from './screen.js';

// The demo's operator session, typed at `bascule console` on a pseudo-terminal: schedule the
// maintenance, preflight (which finds the misplaced LDAP pair and says how to fix it), the fix,
// migrate with a second operator approving at the console's prompt, the live card, fail back with
// another approver, the history. Each line is typed once the console shows its prompt, and each
// step's end state is checked on the screen and against the lab's vCenter.

const bin = fileURLToPath(new URL('../../../bin/bascule.js', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

const PROMPT = /bascule> $/;
const minute = 60_000;

export interface DemoScope {
  /** What the moves name with --datastore: datastores and Zerto VPGs. */
  units: string[];
  /** The datastores whose VMs move with those units (a VPG's VMs live on a local datastore). */
  datastores: string[];
}

/** The README's demo: a cold datastore (with the LDAP pair), a Live Volume and a Zerto VPG. */
export const fullScope: DemoScope = {
  units: ['SAN-SITE5-PROD-01', 'LV-SITE5-01', 'VPG-SITE5-01'],
  datastores: ['SAN-SITE5-PROD-01', 'LV-SITE5-01', 'LOCAL-SITE5-ZERTO-01'],
};

export interface ConsoleDemoOptions {
  /** The console's environment: the lab's, a key prefix, BASCULE_USER (the requester). */
  env: Record<string, string>;
  screen: DemoScreen;
  vcenter: LabVcenter;
  scope: DemoScope;
  columns: number;
  rows: number;
  /** Slack user id of the requester of the maintenance window. */
  scheduledBy: string;
  /** > 0 types key by key (a person watching); 0 types each line at once (logs, tests). */
  typeDelayMs: number;
  /** Ctrl-C from the demo's user. */
  signal?: AbortSignal;
  /** Dates of the maintenance window, "YYYY-MM-DD HH:MM" in the site's time zone. */
  window: { from: string; to: string };
}

export interface ConsoleDemoResult {
  runs: { migrate: string; failback: string };
  moved: string[];
}

/** A demo step's end state did not hold: the demo stops and says what it expected. */
export class DemoCheckError extends BasculeError {
  constructor(what: string) {
    super('DEMO_CHECK_FAILED', `demo check failed: ${what}`, {
      hint: 'Please report this with the output above; on a terminal the lab stays up for inspection (bascule lab status).',
    });
  }
}

export async function runConsoleDemo(o: ConsoleDemoOptions): Promise<ConsoleDemoResult> {
  const { screen, vcenter, scope } = o;
  const pty = new PtyProgram({
    argv: [process.execPath, bin, 'console'],
    env: { TERM: 'xterm-256color', ...o.env },
    cwd: repoRoot,
    columns: o.columns,
    rows: o.rows,
    onOutput: (chunk) => screen.console(chunk),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new DemoCheckError(what);
    screen.ok(what);
  };
  /** Types a line at the prompt; resolves with what the console showed until its next prompt. */
  const command = async (line: string, timeoutMs = 2 * minute, answers: Answer[] = []) => {
    const from = pty.position;
    await pty.type(line, o.typeDelayMs);
    for (const a of answers) {
      const m = await pty.waitFor(a.what, a.prompt, from, timeoutMs);
      await pty.type(a.answer(m), o.typeDelayMs);
    }
    await pty.waitFor(`the prompt after "${line}"`, new RegExp(`\\n${PROMPT.source}`), from, timeoutMs);
    return pty.since(from);
  };

  try {
    await pty.waitFor('the console prompt', PROMPT, 0, minute);

    screen.say('1. Announce the maintenance window (posted to Slack, reminders queued).');
    const scheduled = await command(
      `maintenance schedule site5 --from "${o.window.from}" --to "${o.window.to}" --reason "Power cut" --as ${o.scheduledBy}`,
    );
    check(
      /Scheduled mw-[0-9a-f]+/.test(scheduled) && /Announced in /.test(scheduled),
      'maintenance window scheduled and announced',
    );

    screen.say('2. Preflight the whole site: what would happen, and what blocks it.');
    const first = await command('preflight site5 --to lognes');
    check(/Preflight migrate site5 -> lognes: BLOCKED/.test(first), 'preflight blocks the move');
    check(
      /ldap-01 and ldap-02 back each other up/.test(first) &&
        /fix: Storage-vMotion ldap-02 from SAN-SITE5-PROD-01 to SAN-SITE5-PROD-02/.test(
          first.replace(/\s+/g, ' '),
        ),
      'it finds the LDAP pair sharing a datastore, and says where to move one',
    );

    screen.say('3. Fix it: Storage vMotion ldap-02 to SAN-SITE5-PROD-02, as preflight says.');
    screen.aside(
      [
        'In real life: vSphere Client → ldap-02 → Migrate → Change storage only → SAN-SITE5-PROD-02',
        '(or `govc vm.migrate -ds SAN-SITE5-PROD-02 ldap-02`). Here the lab does it for us.',
      ].join('\n'),
    );
    await vcenter.post('/vm/relocate', {
      vm: 'ldap-02',
      host: 'esx-site5-02',
      datastore: 'SAN-SITE5-PROD-02',
    });
    const ldap02 = (await vcenter.state()).vms.find((v) => v.registered && v.name === 'ldap-02');
    check(
      ldap02?.datastores.join(',') === 'SAN-SITE5-PROD-02',
      'vCenter shows ldap-02 on SAN-SITE5-PROD-02 alone',
    );
    screen.aside(
      'SAN-SITE5-PROD-02 stays home tonight: git-07 still has an ISO from a non-replicated library.',
    );
    const scopeFlags = scope.units.map((u) => `--datastore ${u}`).join(' ');
    const second = await command(`preflight site5 --to lognes ${scopeFlags}`);
    check(
      /Preflight migrate site5 -> lognes: OK/.test(second),
      `preflight passes for ${scope.units.join(', ')}`,
    );

    const moved = vmsOn(await vcenter.state(), scope.datastores);
    screen.say(
      `4. Migrate them (${moved.length} VMs). bob, the second operator, approves at the prompt;\n` +
        '   then the console shows the live progress card until the run report.',
    );
    const migrate = await command(`migrate site5 --to lognes ${scopeFlags}`, 15 * minute, approval('bob'));
    const migrateId = runOutcome(migrate, 'migrate site5 → lognes', check);
    const atLognes = placementProblems(await vcenter.state(), moved, 'lognes');
    check(
      atLognes.length === 0,
      `vCenter: all ${moved.length} VMs run exactly once at lognes${atLognes.length ? `: ${atLognes.join('; ')}` : ''}`,
    );

    screen.say('5. Power is back on site5: fail back (resync first, then move back); carol approves.');
    const failback = await command(`failback site5 ${scopeFlags}`, 15 * minute, approval('carol'));
    const failbackId = runOutcome(failback, 'failback lognes → site5', check);
    const atHome = placementProblems(await vcenter.state(), moved, 'site5');
    check(
      atHome.length === 0,
      `vCenter: all ${moved.length} VMs run exactly once at site5 again${atHome.length ? `: ${atHome.join('; ')}` : ''}`,
    );

    screen.say('6. The audit trail.');
    const history = await command('history');
    check(history.includes(migrateId) && history.includes(failbackId), 'both runs are in the history');

    await pty.type('exit', o.typeDelayMs);
    check((await pty.exited) === 0, 'the console exited cleanly');
    return { runs: { migrate: migrateId, failback: failbackId }, moved };
  } finally {
    await pty.stop();
  }
}

interface Answer {
  what: string;
  prompt: RegExp;
  answer: (m: RegExpExecArray) => string;
}

function approval(approver: string): Answer[] {
  return [
    { what: 'the approval prompt', prompt: /Your name: $/, answer: () => approver },
    {
      what: 'the plan code',
      prompt: new RegExp(`${approver}, type ([0-9a-f]{6}) to approve this plan: $`),
      answer: (m) => m[1] ?? '',
    },
  ];
}

/** The run id of a move the console followed to its report; checks that it succeeded. */
function runOutcome(shown: string, what: string, check: (ok: boolean, what: string) => void): string {
  const report = new RegExp(`^# Run (r-[0-9a-f]{6}): ${what} — (\\w+)$`, 'm').exec(shown);
  const card = /\[█{30}\] 100%/.test(shown);
  check(report?.[2] === 'succeeded', `the ${what.split(' ')[0]} succeeded (run report)`);
  check(card, 'the live card reached 100 %');
  return report?.[1] as string;
}
