import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { readLabInfo, startLab, stopLab } from '../../../lab/index.js';
import { labUsers } from '../../../lab/slack/workspace.js';
import { ensureVcsimBinary } from '../../../lab/vcsim/index.js';
import { UsageError } from '../../domain/errors.js';
import { parseCliArgs } from '../args.js';
import { LabVcenter, placementProblems, vmsOn } from '../demo/lab-state.js';
import { check, DemoSession, type Typist } from '../demo/session.js';
import { type CliCommand, type CliContext, EXIT } from '../types.js';

const usage = 'bascule demo [--dir .lab] [--unattended] [--time-scale F]';
const bin = fileURLToPath(new URL('../../../bin/bascule.js', import.meta.url));

// The README's first experience: the two-site lab, a worker, and a scripted operator session —
// schedule the maintenance, preflight (which finds the misplaced LDAP pair), fix it, migrate with
// a second operator's approval, fail back — each step's end state checked against the lab's
// vCenter. Unattended (no terminal, or CI=true) it stops everything at the end and exits 0 only
// if every check held; on a terminal it leaves the lab running to play with.

/** The units the demo moves: a cold datastore (with the LDAP pair), a Live Volume, a Zerto VPG. */
const units = ['SAN-SITE5-PROD-01', 'LV-SITE5-01', 'VPG-SITE5-01'];
const unitDatastores = ['SAN-SITE5-PROD-01', 'LV-SITE5-01', 'LOCAL-SITE5-ZERTO-01'];

function approvalTypists(approver: string): Typist[] {
  return [
    { prompt: /Your name: $/m, answer: () => approver },
    { prompt: /type ([0-9a-f]{6}) to approve this plan: $/m, answer: (m) => m[1] ?? '' },
  ];
}

function localDate(daysAhead: number, time: string): string {
  const d = new Date(Date.now() + daysAhead * 86_400_000);
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', dateStyle: 'short' }).format(d);
  return `${parts} ${time}`;
}

async function withTicker<T>(ctx: CliContext, what: string, work: Promise<T>): Promise<T> {
  const started = Date.now();
  const tty = (ctx.stdout as NodeJS.WriteStream).isTTY === true;
  const elapsed = () => Math.round((Date.now() - started) / 1000);
  // A first build compiles govmomi for a minute or two: say so every second on a terminal (every
  // five in a log), so that nothing ever looks frozen.
  const timer = setInterval(
    () => {
      if (tty) ctx.stdout.write(`\r  ${what}… ${elapsed()} s `);
      else ctx.stdout.write(`  ${what}… ${elapsed()} s\n`);
    },
    tty ? 1_000 : 5_000,
  );
  try {
    const result = await work;
    ctx.stdout.write(
      `${tty ? '\r' : ''}  ${what}: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    return result;
  } finally {
    clearInterval(timer);
  }
}

function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  // The worker's start line is an info log: it must log at info even when the demo's commands don't.
  const child = spawn(process.execPath, [bin, 'worker'], {
    env: { ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolvePromise, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('bascule worker started')) resolvePromise(child);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('exit', (code) => reject(new Error(`the worker stopped (exit ${code}): ${out.slice(-2000)}`)));
  });
}

export const command: CliCommand = {
  name: ['demo'],
  summary: 'Run a scripted migration and failback on the two-site lab (the README quick start)',
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseCliArgs(
      args,
      { dir: { type: 'string' }, unattended: { type: 'boolean' }, 'time-scale': { type: 'string' } },
      usage,
    );
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, usage);
    const unattended = values.unattended === true || ctx.env.CI === 'true' || !process.stdin.isTTY;
    const timeScale = Number(values['time-scale'] ?? (unattended ? '0.02' : '0.1'));
    if (!(timeScale > 0)) throw new UsageError('--time-scale must be a positive number', usage);
    const out = ctx.stdout;

    out.write('\x1b[1mBascule demo: move site5 to lognes for a power cut, and back.\x1b[0m\n');
    await withTicker(ctx, 'Building the lab vCenter simulator (Go)', ensureVcsimBinary());
    const dir = unattended
      ? await mkdtemp(join(tmpdir(), 'bascule-demo-'))
      : resolve(ctx.cwd, values.dir ?? '.lab');
    if (!unattended && (await readLabInfo(dir))) await stopLab(dir);
    const lab = await withTicker(
      ctx,
      `Starting the two-site lab in ${dir}`,
      startLab({ dir, detached: true, timeScale }),
    );
    const prefix = `demo-${randomBytes(3).toString('hex')}`;
    const labEnv = parseEnv(await readFile(lab.info.files.env, 'utf8')) as Record<string, string>;
    const env: Record<string, string> = {
      ...(Object.fromEntries(Object.entries(ctx.env).filter(([, v]) => v !== undefined)) as Record<
        string,
        string
      >),
      ...labEnv,
      BASCULE_USER: 'alice',
      // Each demo keeps to its own keys: runs and windows of an earlier demo (or of CI) never get
      // in its way, and it never touches an instance's real keys in the same Redis.
      BASCULE_KEY_PREFIX: prefix,
      LOG_LEVEL: 'warn',
    };
    const vcenter = new LabVcenter(lab.info.vcsim.controlUrl, await readFile(lab.info.files.ca, 'utf8'));
    const session = new DemoSession(env, out);
    let worker: ChildProcess | undefined;
    try {
      worker = await withTicker(ctx, 'Starting a worker', startWorker(env));

      session.say('1. Announce the maintenance window (Slack stand-in, reminders queued).');
      const scheduled = await session.run([
        'maintenance',
        'schedule',
        'site5',
        '--from',
        localDate(3, '07:00'),
        '--to',
        localDate(4, '19:00'),
        '--reason',
        'Electrical maintenance of the site5 building',
        '--as',
        labUsers.operator.id,
      ]);
      check(scheduled.code === 0, 'maintenance window scheduled', out);

      session.say('2. Preflight the whole site: what would happen, and what blocks it.');
      const first = await session.run(['preflight', 'site5', '--to', 'lognes']);
      check(first.code === 3, 'preflight blocks (exit code 3)', out);
      check(
        /ldap-01 and ldap-02 back each other up/.test(first.output),
        'it finds the LDAP pair sharing a datastore',
        out,
      );

      session.say('3. Fix it: Storage vMotion ldap-02 to SAN-SITE5-PROD-02, as preflight suggests.');
      out.write('  (in the vSphere client; here the lab does it for us)\n');
      await vcenter.post('/vm/relocate', {
        vm: 'ldap-02',
        host: 'esx-site5-02',
        datastore: 'SAN-SITE5-PROD-02',
      });
      out.write(
        '  SAN-SITE5-PROD-02 stays home tonight: git-07 still has an ISO from a non-replicated library.\n',
      );
      const scope = units.flatMap((u) => ['--datastore', u]);
      const second = await session.run(['preflight', 'site5', '--to', 'lognes', ...scope]);
      check(second.code === 0, 'preflight passes for the cold, Live Volume and Zerto units', out);

      const moving = vmsOn(await vcenter.state(), unitDatastores);
      session.say(`4. Migrate them (${moving.length} VMs); bob approves on the same terminal.`);
      const migrated = await session.run(
        ['migrate', 'site5', '--to', 'lognes', ...scope],
        approvalTypists('bob'),
      );
      check(migrated.code === 0, 'the migration succeeded', out);
      const atLognes = placementProblems(await vcenter.state(), moving, 'lognes');
      check(
        atLognes.length === 0,
        `all ${moving.length} VMs run exactly once at lognes${atLognes.length ? `: ${atLognes.join('; ')}` : ''}`,
        out,
      );

      session.say('5. Power is back on site5: fail back (resync first, then move back).');
      const back = await session.run(['failback', 'site5', ...scope], approvalTypists('carol'));
      check(back.code === 0, 'the failback succeeded', out);
      const atHome = placementProblems(await vcenter.state(), moving, 'site5');
      check(
        atHome.length === 0,
        `all ${moving.length} VMs run exactly once at site5 again${atHome.length ? `: ${atHome.join('; ')}` : ''}`,
        out,
      );

      session.say('6. The audit trail.');
      const history = await session.run(['history']);
      check(history.code === 0, 'history printed', out);
    } finally {
      worker?.kill('SIGTERM');
      await vcenter.close();
      if (unattended) {
        await lab.stop();
        await rm(dir, { recursive: true, force: true });
      }
    }
    if (unattended) {
      out.write('\n\x1b[32mDemo complete: every step verified. The lab was stopped.\x1b[0m\n');
    } else {
      out.write(
        [
          '',
          '\x1b[32mDemo complete: every step verified.\x1b[0m The lab is still running, for you to play with:',
          `  set -a; . ${lab.info.files.env}; set +a; export BASCULE_KEY_PREFIX=${prefix}`,
          '  node bin/bascule.js worker &                      # a worker for your runs',
          '  node bin/bascule.js preflight site5 --to lognes',
          '  node bin/bascule.js migrate site5 --to lognes --datastore LV-SITE5-01',
          `Stop it with: node bin/bascule.js lab down --dir ${dir}`,
          '',
        ].join('\n'),
      );
    }
    return EXIT.ok;
  },
};
