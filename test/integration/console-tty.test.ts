import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Lab, startLab } from '../../lab/index.js';
import { loadTopology } from '../../src/config/load.js';
import { isTerminal, type RunEngine, RunStore, startRunEngine } from '../../src/jobs/run/index.js';
import { createStepServices } from '../../src/jobs/run/step-services.js';
import { stepExecutors } from '../../src/jobs/steps/index.js';
import type { StepContext } from '../../src/jobs/steps/types.js';
import { deleteKeysUnder } from '../support/redis-keys.js';
import { binPath, repoRoot } from '../support/spawn-bascule.js';

// `bascule console` under a real pseudo-terminal (tmux): Tab completion, a move typed at the prompt,
// the approval by a second operator on the same terminal, the live card and the report, against an
// in-process lab (timeScale 0.01) and an in-process worker sharing Redis under a random prefix.

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const session = 'console';

let dir: string;
let lab: Lab;
let redis: Redis;
let prefix: string;
let engine: RunEngine<StepContext> | null = null;
let services: ReturnType<typeof createStepServices> | null = null;
let startWorker: () => RunEngine<StepContext>;

const tmux = (...args: string[]) =>
  execFileSync('tmux', ['-S', join(dir, 'tmux.sock'), ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-3000', '-t', session);
/** Types a line (literally) and Enter. */
const type = (text: string) => {
  tmux('send-keys', '-t', session, '-l', text);
  tmux('send-keys', '-t', session, 'Enter');
};
const alive = () => {
  try {
    tmux('has-session', '-t', session);
    return true;
  } catch {
    return false;
  }
};

async function waitFor(what: string, test: (s: string) => boolean, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = alive() ? screen() : '';
    if (test(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; screen:\n${s}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const quote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bascule-console-'));
  lab = await startLab({ size: 'small', dir, timeScale: 0.01, detached: false });
  const env = parseEnv(await readFile(lab.info.files.env, 'utf8')) as Record<string, string>;
  const topology = loadTopology(lab.info.files.sitesYaml);
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  prefix = `bc-${randomBytes(4).toString('hex')}`;
  // The worker, in-process like `bascule worker`: real step executors against the lab.
  services = createStepServices({
    topology,
    env,
    store: () => {
      if (!engine) throw new Error('engine not started');
      return engine.env.store;
    },
    pollIntervalMs: 10,
  });
  const s = services;
  startWorker = () =>
    startRunEngine<StepContext>({
      redis,
      prefix,
      executors: stepExecutors,
      makeContext: (base) => s.makeContext(base),
      replan: (run, approved) => s.replan(run, approved),
      log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      timings: { lockDurationMs: 5_000, stalledIntervalMs: 2_000, slotPollMs: 50 },
    });
  engine = startWorker();
  const consoleEnv: Record<string, string> = {
    ...env,
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    TERM: 'xterm-256color',
    REDIS_URL,
    BASCULE_KEY_PREFIX: prefix,
    BASCULE_USER: 'alice',
    BASCULE_HISTORY: join(dir, 'history'),
  };
  const script = join(dir, 'console.sh');
  await writeFile(
    script,
    `${Object.entries(consoleEnv)
      .map(([k, v]) => `export ${k}=${quote(v)}`)
      .join('\n')}\ncd ${quote(repoRoot)}\nexec ${quote(process.execPath)} ${quote(binPath)} console\n`,
  );
  tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '40', `sh ${quote(script)}`);
});

afterAll(async () => {
  if (alive()) tmux('kill-session', '-t', session);
  await engine?.close().catch(() => undefined);
  await services?.close().catch(() => undefined);
  if (redis) {
    await deleteKeysUnder(redis, prefix);
    await redis.quit();
  }
  await lab?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('bascule console on a terminal', () => {
  it('completes, migrates with approval and live card, keeps bad input, detaches on Ctrl-C, exits', async () => {
    await waitFor('the prompt', (s) => s.includes('bascule> '));
    tmux('send-keys', '-t', session, '/mig', 'Tab');
    await waitFor('the completed command', (s) => /bascule> \/migrate $/m.test(s));

    type('site5 --to lognes --datastore LV-SITE5-01');
    await waitFor('the approval prompt', (s) => s.includes('Your name: '), 60_000);
    type('bob');
    const asked = await waitFor('the plan code', (s) => /bob, type [0-9a-f]{6} to approve/.test(s));
    const code = /bob, type ([0-9a-f]{6}) to approve/.exec(asked)?.[1] as string;
    type(code);

    const done = await waitFor('the run report', (s) => /^# Run r-[0-9a-f]{6}: .* — \w+$/m.test(s), 120_000);
    const runId = /Run (r-[0-9a-f]{6}) queued/.exec(done)?.[1] as string;
    expect(done).toContain('Preflight migrate site5 -> lognes');
    expect(done).toContain(`approved by bob`);
    expect(done).toContain(`# Run ${runId}: migrate site5 → lognes — succeeded`);
    // The card, redrawn in place: one header, the unit at 100 % with its bar.
    const headers = done.split('\n').filter((l) => l.startsWith(`Run ${runId}  migrate site5 → lognes`));
    expect(headers).toEqual([`Run ${runId}  migrate site5 → lognes  succeeded  (requested by alice)`]);
    expect(done).toMatch(/\[█{30}\] 100%/);
    expect(done).toMatch(/✓ LV-SITE5-01\s+succeeded\s+\[█{12}\] (\d+)\/\1/);
    // The bare run id that --detach prints for scripts is not shown: the console follows instead.
    expect(done.split('\n')).not.toContain(runId);

    await waitFor('the prompt after the run', (s) => s.trimEnd().endsWith('bascule>'));

    // Bad input: the usage, and the prompt again.
    type('frobnicate');
    await waitFor(
      'the usage',
      (s) => /unknown command "frobnicate"\nUsage: \/migrate\|/.test(s) && s.trimEnd().endsWith('bascule>'),
    );

    // Ctrl-C while following detaches: with the worker stopped the failback stays queued, and goes on
    // once a worker runs again.
    await engine?.close();
    engine = null;
    type('failback site5 --datastore LV-SITE5-01');
    await waitFor('the second approval', (s) => s.split('Your name: ').length === 3, 60_000);
    type('bob');
    const second = await waitFor(
      'the second plan code',
      (s) => s.split(/bob, type [0-9a-f]{6}/).length === 3,
    );
    type([...second.matchAll(/bob, type ([0-9a-f]{6})/g)][1]?.[1] as string);
    const queued = await waitFor('the queued card', (s) =>
      /Run r-\w+ {2}failback lognes → site5 {2}queued/.test(s),
    );
    const backId = /Run (r-[0-9a-f]{6}) {2}failback/.exec(queued)?.[1] as string;
    tmux('send-keys', '-t', session, 'C-c');
    await waitFor(
      'the detach',
      (s) => s.includes(`Detached from run ${backId}: it goes on.`) && s.trimEnd().endsWith('bascule>'),
    );
    engine = startWorker();
    const store = new RunStore(redis, prefix);
    const deadline = Date.now() + 60_000;
    while (!isTerminal((await store.require(backId)).status) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    type(`/status ${backId}`);
    await waitFor('the status of the failback', (s) =>
      s.includes(`Run ${backId}: failback lognes -> site5, succeeded`),
    );

    // Ctrl-C at the approval prompt: nothing approved, the console stays.
    type('preflight site5 --to lognes --datastore LV-SITE5-01');
    await waitFor(
      'the third preflight',
      (s) => s.split('Preflight migrate site5 -> lognes').length === 3,
      60_000,
    );
    type('migrate site5 --to lognes --datastore LV-SITE5-01');
    await waitFor('the third approval', (s) => s.split('Your name: ').length === 4);
    tmux('send-keys', '-t', session, 'C-c');
    await waitFor(
      'the interruption',
      (s) =>
        s.includes('Interrupted (Ctrl-C): the plan was not approved.') && s.trimEnd().endsWith('bascule>'),
    );

    type('exit');
    await waitFor('the console to exit', () => !alive(), 10_000);
    expect((await readFile(join(dir, 'history'), 'utf8')).trim().split('\n')).toEqual([
      '/migrate site5 --to lognes --datastore LV-SITE5-01',
      'frobnicate',
      'failback site5 --datastore LV-SITE5-01',
      `/status ${backId}`,
      'preflight site5 --to lognes --datastore LV-SITE5-01',
      'migrate site5 --to lognes --datastore LV-SITE5-01',
      'exit',
    ]);
  }, 240_000);
});
