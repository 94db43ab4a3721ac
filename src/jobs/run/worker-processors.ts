import { FlowProducer, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { readEnvOptions } from '../../config/env.js';
import type { Topology } from '../../config/schema.js';
import type { Logger } from '../../log.js';
import { createRedis } from '../redis.js';
import { stepExecutors } from '../steps/index.js';
import type { StepContext } from '../steps/types.js';
import type { QueueProcessor } from '../worker.js';
import { createEngineEnv, renewLocks, runProcessors } from './engine.js';
import type { EngineEnv } from './engine-env.js';
import { DEFAULT_TIMINGS } from './engine-types.js';
import { RUN_QUEUE, UNIT_QUEUE } from './keys.js';
import { createStepServices } from './step-services.js';

// The run engine as queue processors of the `bascule worker` process (src/jobs/processors.ts).
// Its Redis connection and flow producer open on the first job; their sockets are unref'd so they
// never hold a stopping worker open (BullMQ's own connections, closed by Worker.close, do).

export interface RunWorkerDeps {
  topology: Topology;
  env: Record<string, string | undefined>;
  log: Logger;
}

const unrefClients = new Map<string, Redis>();

/**
 * An ioredis connection whose socket does not keep the process alive, one per Redis URL and
 * process: the run engine, preflight and maintenance processors send only non-blocking commands
 * on it, so they share it instead of opening one each.
 */
export function unrefRedis(url: string): Redis {
  const open = unrefClients.get(url);
  if (open && open.status !== 'end') return open;
  const redis = createRedis(url, { lazyConnect: false });
  redis.on('connect', () => {
    (redis.stream as { unref?: () => void }).unref?.();
  });
  unrefClients.set(url, redis);
  return redis;
}

export function runQueueProcessors(deps: RunWorkerDeps): QueueProcessor[] {
  let inner: QueueProcessor[] | null = null;
  let env: EngineEnv<StepContext> | null = null;
  let release: (() => Promise<void>) | null = null;
  const build = (): QueueProcessor[] => {
    if (inner) return inner;
    const redis = unrefRedis(readEnvOptions(deps.env).redisUrl);
    const services = createStepServices({
      topology: deps.topology,
      env: deps.env,
      store: () => engineEnv.store,
    });
    const engineEnv = createEngineEnv<StepContext>(
      {
        redis,
        executors: stepExecutors,
        makeContext: (base) => services.makeContext(base),
        replan: (run, approved) => services.replan(run, approved),
        probeFencing: (run) => services.probeFencing(run),
        log: deps.log,
        prefix: readEnvOptions(deps.env).keyPrefix,
      },
      new AbortController().signal,
    );
    env = engineEnv;
    const timer = setInterval(() => {
      if (env) void renewLocks(env).catch(() => undefined);
    }, env.timings.runLockTtlMs / 3);
    timer.unref();
    const flows = new FlowProducer({ connection: redis, prefix: engineEnv.store.keys.prefix });
    inner = runProcessors(engineEnv, flows);
    release = async () => {
      clearInterval(timer);
      await services.close();
      await flows.close();
    };
    return inner;
  };
  const delegate = (queue: string, concurrency: number): QueueProcessor => ({
    queue,
    concurrency,
    // A worker killed mid-step is expected during a maintenance night: hand its job to another
    // worker soon, and never give up on it for having stalled.
    workerOptions: {
      lockDuration: DEFAULT_TIMINGS.lockDurationMs,
      stalledInterval: DEFAULT_TIMINGS.stalledIntervalMs,
      maxStalledCount: 100,
    },
    process(job: Job, log: Logger) {
      const p = build().find((x) => x.queue === queue);
      if (!p) throw new Error(`no processor for ${queue}`);
      return p.process(job, log);
    },
  });
  // Both queues share the services; the last one listed releases them, after both Workers stopped.
  return [
    delegate(RUN_QUEUE, 5),
    {
      ...delegate(UNIT_QUEUE, 10),
      close: async () => {
        const r = release;
        release = null;
        inner = null;
        env = null;
        await r?.();
      },
    },
  ];
}
