import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../log.js';
import { KEY_PREFIX } from '../redis.js';
import { classifyPostError } from './classify.js';
import type { NotifyMessage, PostMessage } from './types.js';

// `bascule-notify`: Slack messages posted one at a time, in the order they were queued, at most
// one per `intervalMs` (Slack allows about one message per second per channel; one at a time for
// all channels is stricter and keeps every channel in order). A 429 or an outage never fails the
// job: the worker rate-limits itself for Retry-After (or a backoff) and BullMQ puts the job back
// at the head of the queue, so messages are delayed, never lost and never reordered. Only a
// refusal that will not fix itself (unknown channel) drops a message, to the failed set.

export const NOTIFY_QUEUE = 'bascule-notify';

export class NotifyQueue {
  private readonly queue: Queue;
  private readonly connection: Redis;

  constructor(redis: Redis, prefix: string = KEY_PREFIX) {
    this.connection = redis.duplicate();
    this.queue = new Queue(NOTIFY_QUEUE, { connection: this.connection, prefix });
  }

  async send(msg: NotifyMessage): Promise<string> {
    const job = await this.queue.add('post', msg, { removeOnComplete: 1000, removeOnFail: 5000 });
    return job.id ?? '';
  }

  async close(): Promise<void> {
    await this.queue.waitUntilReady().catch(() => undefined);
    await this.queue.close();
    await this.connection.quit().catch(() => undefined);
  }
}

export interface NotifyWorkerOptions {
  redis: Redis;
  prefix?: string;
  post: PostMessage;
  log: Logger;
  /** Minimum time between two posts. Default 1000 ms. */
  intervalMs?: number;
  /** First backoff after a 5xx or network error, doubled on each consecutive failure. */
  backoffBaseMs?: number;
}

export interface NotifyWorker {
  close(): Promise<void>;
}

export function startNotifyWorker(o: NotifyWorkerOptions): NotifyWorker {
  const intervalMs = o.intervalMs ?? 1000;
  let failures = 0;
  const connection = o.redis.duplicate();
  const worker: Worker = new Worker(
    NOTIFY_QUEUE,
    async (job: Job) => {
      const msg = job.data as NotifyMessage;
      try {
        await o.post(msg);
        failures = 0;
      } catch (err) {
        failures += 1;
        const failure = classifyPostError(err, failures, o.backoffBaseMs);
        const log = o.log.child({ channel: msg.channel, jobId: job.id, runId: msg.runId });
        if (failure.kind === 'fatal') {
          log.error({ err: failure.reason }, 'slack refused the message; dropped');
          throw new UnrecoverableError(failure.reason);
        }
        log.warn({ err: failure.reason, delayMs: failure.delayMs }, 'slack unavailable; message held');
        await worker.rateLimit(failure.delayMs);
        throw Worker.RateLimitError();
      }
    },
    {
      connection,
      prefix: o.prefix ?? KEY_PREFIX,
      concurrency: 1,
      limiter: { max: 1, duration: intervalMs },
    },
  );
  worker.on('error', (err) => o.log.error({ err: err.message }, 'notify worker connection error'));
  return {
    async close() {
      await worker.close();
      await connection.quit().catch(() => undefined);
    },
  };
}
