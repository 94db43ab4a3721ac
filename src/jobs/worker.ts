import { randomUUID } from 'node:crypto';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { isBasculeError } from '../domain/errors.js';
import type { Logger } from '../log.js';
import { startHeartbeat } from './heartbeat.js';
import { redisOptions } from './redis.js';

// The worker process: one BullMQ Worker per queue, sharing one Redis connection factory. Several
// worker processes on several machines may run at once; BullMQ hands each job to one of them and
// gives a stalled job (its worker died) to another.

export interface QueueProcessor {
  queue: string;
  concurrency: number;
  process(job: Job, log: Logger): Promise<unknown>;
  /** Stalled-job recovery: how soon a job held by a dead worker goes to another, and how often. */
  workerOptions?: { lockDuration?: number; stalledInterval?: number; maxStalledCount?: number };
}

export interface RunningWorker {
  id: string;
  close(): Promise<void>;
}

export async function startWorkers(options: {
  /** For the heartbeat. */
  redis: Redis;
  /** For BullMQ's own connections. */
  redisUrl: string;
  /** BASCULE_KEY_PREFIX: the prefix of every queue. */
  prefix: string;
  processors: QueueProcessor[];
  log: Logger;
}): Promise<RunningWorker> {
  const id = randomUUID();
  const log = options.log.child({ workerId: id });
  // Each Worker gets connection options, not a client: BullMQ then owns its blocking connection
  // and closes it in Worker.close(), so a stopping worker leaves no socket open.
  const connection = redisOptions(options.redisUrl);
  const workers = options.processors.map((p) => {
    const worker = new Worker(
      p.queue,
      async (job) => {
        const jobLog = log.child({ queue: p.queue, jobId: job.id, runId: job.data?.runId });
        try {
          return await p.process(job, jobLog);
        } catch (err) {
          // Errors the domain marks non-retryable must not be retried by BullMQ (a wrong state
          // on an array will not fix itself by trying again).
          if (isBasculeError(err) && !err.retryable) {
            jobLog.error({ code: err.code, err: err.message }, 'job failed, not retryable');
            throw new UnrecoverableError(`[${err.code}] ${err.toUserText()}`);
          }
          jobLog.warn(
            { err: err instanceof Error ? err.message : String(err) },
            'job failed, may be retried',
          );
          throw err;
        }
      },
      {
        connection,
        prefix: options.prefix,
        concurrency: p.concurrency,
        autorun: true,
      },
    );
    worker.on('error', (err) => log.error({ queue: p.queue, err: err.message }, 'worker connection error'));
    return worker;
  });
  // Ready means connected: only then is the worker announced, and a stop requested right after
  // start-up never closes a connection BullMQ is still opening (which it reports as a crash).
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  const heartbeat = startHeartbeat(options.redis, { id, queues: options.processors.map((p) => p.queue) });
  return {
    id,
    async close() {
      // Worker.close() waits for the jobs in hand to finish their current step and return.
      await Promise.all(workers.map((w) => w.close()));
      await heartbeat.stop().catch(() => undefined);
    },
  };
}
