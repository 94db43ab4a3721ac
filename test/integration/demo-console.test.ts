import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Lab, startLab } from '../../lab/index.js';
import { labUsers } from '../../lab/slack/workspace.js';
import { LabVcenter } from '../../src/cli/demo/lab-state.js';
import { DemoScreen } from '../../src/cli/demo/screen.js';
import { DemoCheckError, type DemoScope, runConsoleDemo } from '../../src/cli/demo/script.js';
import { startWorker, stopWorker } from '../../src/cli/demo/worker.js';
import { deleteKeysUnder } from '../support/redis-keys.js';

// The demo's operator session, short form: `bascule console` on a pseudo-terminal (util-linux
// script), driven by what its screen shows, against a lab (timeScale 0.01) and a `bascule worker`
// sharing Redis under a random prefix. Only the Live Volume moves; the checks are the demo's own
// (the screen and the lab's vCenter), and what a log reader sees is checked here. Each test has
// its own lab: the demo's fix changes the lab for good (a relocated VM leaves its DRS rule).

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const short: DemoScope = { units: ['LV-SITE5-01'], datastores: ['LV-SITE5-01'] };

let dir: string;
let lab: Lab;
let vcenter: LabVcenter;
let worker: ChildProcess | undefined;
let env: Record<string, string>;
let prefix: string;

function play(scope: DemoScope, window: { from: string; to: string }) {
  let log = '';
  const screen = new DemoScreen({ write: (t) => (log += t), tty: false, columns: 160 });
  const played = runConsoleDemo({
    env,
    screen,
    vcenter,
    scope,
    columns: 160,
    rows: 40,
    scheduledBy: labUsers.operator.id,
    typeDelayMs: 0,
    window,
  }).finally(() => screen.end());
  return { played, log: () => log };
}

beforeEach(async () => {
  prefix = `demo-test-${randomBytes(4).toString('hex')}`;
  dir = await mkdtemp(join(tmpdir(), 'bascule-demo-test-'));
  lab = await startLab({ size: 'small', dir, timeScale: 0.01, detached: false });
  env = {
    ...(parseEnv(await readFile(lab.info.files.env, 'utf8')) as Record<string, string>),
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    REDIS_URL,
    BASCULE_KEY_PREFIX: prefix,
    BASCULE_USER: 'alice',
    BASCULE_HISTORY: join(dir, 'history'),
    LOG_LEVEL: 'warn',
  };
  vcenter = new LabVcenter(lab.info.vcsim.controlUrl, await readFile(lab.info.files.ca, 'utf8'));
  worker = await startWorker(env);
});

afterEach(async () => {
  if (worker) await stopWorker(worker);
  worker = undefined;
  await vcenter?.close();
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  await deleteKeysUnder(redis, prefix);
  await redis.quit();
  await lab?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the demo in the console', () => {
  it('types the session at the prompt, approves, follows the card and verifies each end state', async () => {
    const { played, log } = play(short, { from: '2031-03-03 07:00', to: '2031-03-04 19:00' });
    const result = await played;
    const shown = log();

    expect(result.runs.migrate).toMatch(/^r-[0-9a-f]{6}$/);
    expect(result.moved.length).toBeGreaterThan(0);
    // What was typed, at the console's prompt, in order.
    const typed = shown.split('\n').filter((l) => l.startsWith('bascule> '));
    expect(typed).toEqual([
      'bascule> maintenance schedule site5 --from "2031-03-03 07:00" --to "2031-03-04 19:00" --reason "Power cut" --as U0LABALICE',
      'bascule> preflight site5 --to lognes',
      'bascule> preflight site5 --to lognes --datastore LV-SITE5-01',
      'bascule> migrate site5 --to lognes --datastore LV-SITE5-01',
      'bascule> failback site5 --datastore LV-SITE5-01',
      'bascule> history',
      'bascule> exit',
    ]);
    expect(shown).toContain('Approval by a second operator. Your name: bob\nbob, type ');
    expect(shown).toContain('Approval by a second operator. Your name: carol\ncarol, type ');
    expect(shown).toContain('In real life: vSphere Client → ldap-02 → Migrate → Change storage only');
    // The card's last state, then the report; a log gets plain lines, no cursor movements.
    expect(shown).toMatch(
      new RegExp(
        `Run ${result.runs.migrate}  migrate site5 → lognes  succeeded .*\\n\\[█{30}\\] 100%\\n  ✓ LV-SITE5-01 +succeeded`,
      ),
    );
    expect(shown).toContain(`# Run ${result.runs.failback}: failback lognes → site5 — succeeded`);
    expect(shown).not.toContain('\x1b');
    expect(shown).toContain(`✓ vCenter: all ${result.moved.length} VMs run exactly once at site5 again`);
    expect(shown).toContain('✓ the console exited cleanly');
    // The console's history file has exactly what was typed.
    expect((await readFile(join(dir, 'history'), 'utf8')).trim().split('\n')).toEqual(
      typed.map((l) => l.slice('bascule> '.length)),
    );
  }, 240_000);

  it('stops at the first end state that does not hold, and says which', async () => {
    // Put the LDAP pair back together, so that preflight finds it again; SAN-SITE5-PROD-02 keeps
    // git-07's ISO from a non-replicated library, so the scoped preflight stays blocked.
    await vcenter.post('/vm/relocate', {
      vm: 'ldap-02',
      host: 'esx-site5-02',
      datastore: 'SAN-SITE5-PROD-01',
    });
    const { played, log } = play(
      { units: ['SAN-SITE5-PROD-02'], datastores: ['SAN-SITE5-PROD-02'] },
      { from: '2031-04-03 07:00', to: '2031-04-04 19:00' },
    );
    const error = await played.then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(DemoCheckError);
    expect((error as DemoCheckError).message).toBe(
      'demo check failed: preflight passes for SAN-SITE5-PROD-02',
    );
    expect(log()).toContain('Preflight migrate site5 -> lognes: BLOCKED');
    expect(log()).not.toContain('bascule> migrate');
  }, 120_000);
});
