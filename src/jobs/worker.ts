import { randomUUID } from 'node:crypto';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { isBasculeError } from '../domain/errors.js';
import type { Logger } from '../log.js';
import { startHeartbeat } from './heartbeat.js';
import { createRedis } from './redis.js';

// The worker process: one BullMQ Worker per queue, sharing one Redis client for commands. Several
// worker processes on several machines may run at once; BullMQ hands each job to one of them and
// gives a stalled job (its worker died) to another.

export interface QueueProcessor {
  queue: string;
  concurrency: number;
  process(job: Job, log: Logger): Promise<unknown>;
  /** Stalled-job recovery: how soon a job held by a dead worker goes to another, and how often. */
  workerOptions?: { lockDuration?: number; stalledInterval?: number; maxStalledCount?: number };
  /**
   * Releases what the processor opened (vCenter sessions, SSH connections to the arrays, HTTP
   * pools): called once its Worker has stopped. Without it those sockets keep a stopped worker
   * process alive.
   */
  close?(): Promise<void>;
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
  // One client for the plain commands of every queue's Worker (BullMQ allows sharing those; each
  // Worker still opens its own blocking connection, which only it can use, and closes it in
  // Worker.close()). Opened here and quit below, after the Workers, so no socket is left open.
  const connection = createRedis(options.redisUrl, { lazyConnect: false });
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
        // Stalled-job recovery as the processor asks (the run engine hands a dead worker's job on
        // soon and never gives up on it); without these BullMQ fails a job after one stall.
        ...p.workerOptions,
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
      // A failed release is logged and does not stop the others' (the process is exiting anyway).
      for (const p of options.processors) {
        await p.close?.().catch((err: unknown) => {
          log.warn({ queue: p.queue, err: err instanceof Error ? err.message : String(err) }, 'close failed');
        });
      }
      await heartbeat.stop().catch(() => undefined);
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
