import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import type { Plan } from '../../src/domain/plan/types.js';
import { gatherPreflight } from '../../src/jobs/preflight/gather.js';
import { activeRuns, RunControl, type RunRecord } from '../../src/jobs/run/index.js';
import { freePort } from './free-port.js';
import { deleteKeysUnder } from './redis-keys.js';
import { REDIS_URL } from './run-harness.js';
import { repoRoot } from './spawn-bascule.js';
import type { LabState, LabVmState, StepHarness } from './step-harness.js';

// Fault tests on the real lab: worker child processes running the real step executors
// (fault-lab-worker-entry.ts), a Redis of the test's own that can be killed and restarted, and the
// end-state checks read back from the vCenter simulator and the Storwize stand-in.

export type Site = 'site5' | 'lognes';
export const other = (s: Site): Site => (s === 'site5' ? 'lognes' : 'site5');

export interface FaultRuns {
  redis: Redis;
  prefix: string;
  control: RunControl;
  /** Submits and approves a run (alice asks, bob approves). */
  start(plan: Plan): Promise<RunRecord>;
  waitFor(
    runId: string,
    predicate: (r: RunRecord) => boolean,
    what?: string,
    ms?: number,
  ): Promise<RunRecord>;
  /** A worker child process on this prefix and Redis (plus `env`, e.g. BASCULE_TEST_KILL_AT). */
  startWorker(env?: Record<string, string>): ChildProcess;
  /** SIGKILLs a worker and waits for it to be gone. */
  kill(child: ChildProcess): Promise<void>;
  cleanup(): Promise<void>;
}

export function createFaultRuns(lab: StepHarness, redisUrl = REDIS_URL): FaultRuns {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  // The test's Redis may be restarted under this connection; ioredis reconnects by itself.
  redis.on('error', () => undefined);
  const prefix = `bf-${randomBytes(4).toString('hex')}`;
  const control = new RunControl(redis, prefix);
  const children: ChildProcess[] = [];
  const runs: FaultRuns = {
    redis,
    prefix,
    control,
    async start(plan) {
      const run = await control.submit({ plan, requestedBy: 'alice' });
      return control.approve(run.id, 'bob');
    },
    async waitFor(runId, predicate, what = 'condition', ms = 45_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const run = await control.store.require(runId);
        if (predicate(run)) return run;
        if (Date.now() > deadline) {
          throw new Error(`run ${runId}: ${what} not reached; last state ${JSON.stringify(run, null, 1)}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    startWorker(env = {}) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/fault-lab-worker-entry.ts'], {
        cwd: repoRoot,
        env: {
          ...process.env,
          REDIS_URL: redisUrl,
          BASCULE_TEST_PREFIX: prefix,
          BASCULE_LAB_SITES: lab.lab.info.files.sitesYaml,
          BASCULE_LAB_ENV: lab.lab.info.files.env,
          ...env,
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(child);
      return child;
    },
    async kill(child) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    },
    async cleanup() {
      await Promise.all(children.splice(0).map((c) => runs.kill(c)));
      await control.close().catch(() => undefined);
      await deleteKeysUnder(redis, prefix);
      await redis.quit();
    },
  };
  return runs;
}

/** A Redis server of the test's own (append-only, fsync on every write), killable and restartable. */
export interface OwnRedis {
  url: string;
  port: number;
  /** Kills the server (SIGKILL by default) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and directory; resolves once it answers PING. */
  start(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'bascule-redis-'));
  const port = await freePort();
  let child: ChildProcess | null = null;
  const launch = async () => {
    const c = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--appendfsync', 'always'],
      { cwd: dir, stdio: 'ignore' },
    );
    child = c;
    // The config's `dir` defaults to the working directory: the AOF survives a restart there.
    const probe = new Redis(port, '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => undefined);
    const deadline = Date.now() + 10_000;
    try {
      for (;;) {
        if (c.exitCode !== null) throw new Error(`redis-server exited with ${c.exitCode}`);
        try {
          if (probe.status !== 'ready') await probe.connect();
          if ((await probe.ping()) === 'PONG') return;
        } catch {
          if (Date.now() > deadline) throw new Error(`redis-server on ${port} never answered`);
          probe.disconnect();
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    } finally {
      probe.disconnect();
    }
  };
  const own: OwnRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop(signal = 'SIGKILL') {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill(signal);
      await exited;
    },
    start: launch,
    async cleanup() {
      await own.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await launch();
  return own;
}

/** The plan the bot would run for one unit, from a fresh preflight on the lab. */
export async function planFor(lab: StepHarness, runs: FaultRuns, unit: string, from: Site): Promise<Plan> {
  const pre = await gatherPreflight(
    { topology: lab.topology, env: lab.env, activeRuns: () => activeRuns(runs.control.store) },
    { kind: 'migrate', from, to: other(from), datastores: [unit], forceOff: true },
  );
  expect(pre.plan.groups.map((g) => g.id)).toEqual([unit]);
  return pre.plan;
}

export const ended = (r: RunRecord) => ['succeeded', 'failed', 'cancelled'].includes(r.status);

export const stepState = (r: RunRecord, unit: string, kind: string) =>
  r.units[unit]?.steps.find((s) => s.kind === kind)?.state;

export const vmsOn = (state: LabState, datastore: string): LabVmState[] =>
  state.vms.filter((v) => v.datastores.includes(datastore));

export const rcName = (unit: string) => `rc_${unit.toLowerCase().replace(/-/g, '_')}`;

/**
 * The unit is on `to`, read back from vCenter and the array: every VM that was on the datastore is
 * registered exactly once, on a host of `to`, powered on, same CPU/RAM and .vmx; the datastore is
 * mounted on `to`'s hosts only; the replication is writable on `to` only, and in sync.
 */
export async function expectUnitOn(
  lab: StepHarness,
  unit: string,
  to: Site,
  moving: readonly LabVmState[],
): Promise<void> {
  const after = await lab.state();
  const hosts = new Set(lab.model.hosts.filter((x) => x.site === to).map((x) => x.name));
  for (const vm of moving) {
    const entries = after.vms.filter((v) => v.name === vm.name && v.registered);
    expect(entries, `${vm.name} registered once`).toHaveLength(1);
    expect(entries[0], vm.name).toMatchObject({
      site: to,
      powerState: 'poweredOn',
      numCpu: vm.numCpu,
      memoryMb: vm.memoryMb,
      vmxPath: vm.vmxPath,
    });
    expect(hosts.has(entries[0]?.host ?? ''), `${vm.name} on a ${to} host`).toBe(true);
  }
  expect(
    vmsOn(after, unit)
      .filter((v) => v.registered)
      .map((v) => v.name)
      .sort(),
  ).toEqual(moving.map((v) => v.name).sort());
  const ds = after.datastores.find((d) => d.name === unit);
  expect([...(ds?.mountedOn ?? [])].sort()).toEqual([...hosts].sort());
  expect(lab.lab.handles?.storwize.control.relationship(rcName(unit))).toMatchObject({
    writableSites: [to],
    synchronized: true,
  });
}
