import { FlowProducer, type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { isBasculeError } from '../../domain/errors.js';
import { runLogger } from '../../log.js';
import type { QueueProcessor } from '../worker.js';
import type { EngineEnv, RunJobData, UnitJobData } from './engine-env.js';
import { type BaseStepContext, DEFAULT_TIMINGS, type EngineDeps } from './engine-types.js';
import { RUN_QUEUE, UNIT_QUEUE } from './keys.js';
import { acquireRunLock, scopeOfRun } from './locks.js';
import { processRunJob } from './run-job.js';
import { RunStore } from './run-store.js';
import { processUnitJob } from './unit-job.js';

// The run engine in a worker process: a BullMQ worker on `bascule-run` (start and finalize jobs)
// and one on `bascule-unit` (one job per unit), with short job locks so that a job whose worker
// was SIGKILLed is handed to another worker within seconds, and a timer renewing the locks of
// every active run.

export interface EngineOptions {
  /** Unit jobs one worker runs at once; the per-run limit is the plan's maxParallelUnits. */
  unitConcurrency?: number;
}

export interface RunEngine<C extends BaseStepContext> {
  env: EngineEnv<C>;
  close(): Promise<void>;
}

export function createEngineEnv<C extends BaseStepContext>(
  deps: EngineDeps<C>,
  signal: AbortSignal,
): EngineEnv<C> {
  return {
    deps,
    store: new RunStore(deps.redis, deps.prefix),
    timings: { ...DEFAULT_TIMINGS, ...deps.timings },
    signal,
    log: deps.log,
  };
}

function wrap<T>(fn: () => Promise<T>): Promise<T> {
  return fn().catch((err: unknown) => {
    if (isBasculeError(err) && !err.retryable)
      throw new UnrecoverableError(`[${err.code}] ${err.toUserText()}`);
    throw err;
  });
}

/** The two processors, for a caller that runs its own BullMQ workers (see startRunEngine). */
export function runProcessors<C extends BaseStepContext>(
  env: EngineEnv<C>,
  flow: FlowProducer,
): QueueProcessor[] {
  return [
    {
      queue: RUN_QUEUE,
      concurrency: 5,
      process: (job: Job) => {
        const data = job.data as RunJobData;
        return wrap(() => processRunJob(env, flow, data, runLogger(env.log, data.runId)));
      },
    },
    {
      queue: UNIT_QUEUE,
      concurrency: 10,
      process: (job: Job) => {
        const data = job.data as UnitJobData;
        return wrap(() => processUnitJob(env, job.id ?? '', data, runLogger(env.log, data.runId)));
      },
    },
  ];
}

export function startRunEngine<C extends BaseStepContext>(
  deps: EngineDeps<C>,
  options: EngineOptions = {},
): RunEngine<C> {
  const abort = new AbortController();
  const env = createEngineEnv(deps, abort.signal);
  const prefix = env.store.keys.prefix;
  // BullMQ does not close connections it is given: the engine quits its own on close.
  const connections = [deps.redis.duplicate()];
  const flow = new FlowProducer({ connection: connections[0] as Redis, prefix });
  const workers = runProcessors(env, flow).map((p) => {
    const connection = deps.redis.duplicate();
    connections.push(connection);
    const worker = new Worker(p.queue, (job) => p.process(job, env.log), {
      connection,
      prefix,
      concurrency: p.queue === UNIT_QUEUE ? (options.unitConcurrency ?? p.concurrency) : p.concurrency,
      lockDuration: env.timings.lockDurationMs,
      stalledInterval: env.timings.stalledIntervalMs,
      // A worker killed mid-step is expected during a maintenance night; do not give up on the job.
      maxStalledCount: 100,
    });
    worker.on('error', (err) =>
      env.log.error({ queue: p.queue, err: err.message }, 'worker connection error'),
    );
    worker.on('failed', (job, err) =>
      env.log.warn(
        { queue: p.queue, jobId: job?.id, runId: job?.data?.runId, err: err.message },
        'job failed',
      ),
    );
    return worker;
  });
  const renew = setInterval(() => void renewLocks(env).catch(() => undefined), env.timings.runLockTtlMs / 3);
  renew.unref();
  return {
    env,
    async close() {
      clearInterval(renew);
      abort.abort();
      await Promise.all(workers.map((w) => w.close()));
      await flow.close();
      await Promise.all(connections.map((c) => c.quit().catch(() => undefined)));
    },
  };
}

/** Every worker renews the locks of every active, approved run (the first to come does it). */
export async function renewLocks<C extends BaseStepContext>(env: EngineEnv<C>): Promise<void> {
  for (const id of await env.store.activeIds()) {
    const run = await env.store.get(id);
    if (!run || run.status === 'awaiting-approval') continue;
    try {
      await acquireRunLock(
        env.store.redis,
        env.store.keys,
        await scopeOfRun(env.store, id),
        env.timings.runLockTtlMs,
      );
    } catch (err) {
      env.log.error({ runId: id, err: String(err) }, 'run lock lost');
    }
  }
}
