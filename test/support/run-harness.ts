import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { Plan } from '../../src/domain/plan/types.js';
import {
  type BaseStepContext,
  type EngineDeps,
  RunControl,
  type RunEngine,
  type RunRecord,
  startRunEngine,
} from '../../src/jobs/run/index.js';
import { deleteKeysUnder } from './redis-keys.js';
import { worldExecutors } from './world-executors.js';

// One engine test's world: a Redis connection, a random key prefix (BullMQ's and the run store's),
// an engine with the world executors, and the operators' controls. `cleanup` deletes every key.

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Short engine timings: a SIGKILLed worker's job moves on within a few seconds. */
export const FAST_TIMINGS = {
  lockDurationMs: 2_000,
  stalledIntervalMs: 1_000,
  slotLeaseMs: 3_000,
  slotPollMs: 50,
  runLockTtlMs: 30_000,
};

export interface RunHarness {
  redis: Redis;
  prefix: string;
  control: RunControl;
  engines: RunEngine<BaseStepContext>[];
  startEngine(extra?: Partial<EngineDeps<BaseStepContext>>): RunEngine<BaseStepContext>;
  /** Submits and approves a run (requested by alice, approved by bob). */
  start(plan: Plan, opts?: { stopOnFailure?: boolean }): Promise<RunRecord>;
  waitFor(runId: string, predicate: (r: RunRecord) => boolean, what?: string): Promise<RunRecord>;
  waitForKey(key: string): Promise<void>;
  cleanup(): Promise<void>;
}

export async function createRunHarness(): Promise<RunHarness> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const prefix = `bt-${randomBytes(4).toString('hex')}`;
  const control = new RunControl(redis, prefix);
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const engines: RunEngine<BaseStepContext>[] = [];
  const h: RunHarness = {
    redis,
    prefix,
    control,
    engines,
    startEngine(extra = {}) {
      const engine = startRunEngine({
        redis,
        prefix,
        executors: worldExecutors(redis, prefix),
        makeContext: async (base) => base,
        log,
        timings: FAST_TIMINGS,
        ...extra,
      });
      engines.push(engine);
      return engine;
    },
    async start(plan, opts = {}) {
      const run = await control.submit({ plan, requestedBy: 'alice', ...opts });
      return control.approve(run.id, 'bob');
    },
    async waitFor(runId, predicate, what = 'condition') {
      const deadline = Date.now() + 45_000;
      for (;;) {
        const run = await control.store.require(runId);
        if (predicate(run)) return run;
        if (Date.now() > deadline) {
          throw new Error(`run ${runId}: ${what} not reached; last state ${JSON.stringify(run, null, 1)}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async waitForKey(key) {
      const deadline = Date.now() + 45_000;
      while (!(await redis.exists(key))) {
        if (Date.now() > deadline) throw new Error(`key ${key} never appeared`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async cleanup() {
      await Promise.all(engines.map((e) => e.close()));
      await control.close();
      await deleteKeysUnder(redis, prefix);
      await redis.quit();
    },
  };
  return h;
}

export const ended = (r: RunRecord) => ['succeeded', 'failed', 'cancelled'].includes(r.status);
