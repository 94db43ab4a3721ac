import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../log.js';
import { KEY_PREFIX } from '../redis.js';
import { classifyPostError } from './classify.js';
import type { NotifyMessage, PostMessage } from './types.js';

// Slack messages, queued per channel: Slack allows about one message per second *per channel*,
// and BullMQ's per-key rate limits (groups) are a Pro feature, so each channel gets its own
// BullMQ queue (`bascule-notify-<channel>`), created on its first message and listed in a Redis
// set so that every worker process finds it. Each channel queue has its own limiter (one post per
// `intervalMs`) and is worked one job at a time, so a busy channel never slows another and each
// channel's messages keep their order. A 429 (Retry-After honoured) or an outage never fails a
// job: the worker rate-limits that channel's queue and BullMQ puts the job back at its head, so
// messages are delayed, never lost and never reordered. Only a refusal that will not fix itself
// (unknown channel) drops a message, to the failed set.

export const NOTIFY_QUEUE = 'bascule-notify';

/** The queue a channel's messages go through; queue names must not contain `:`. */
export function channelQueueName(channel: string): string {
  const safe = /^[A-Za-z0-9_-]{1,80}$/.test(channel) ? channel : `x${Buffer.from(channel).toString('hex')}`;
  return `${NOTIFY_QUEUE}-${safe}`;
}

/** The Redis set of channels that have had a message, so workers know which queues to serve. */
export function channelsKey(prefix: string): string {
  return `${prefix}:notify:channels`;
}

export class NotifyQueue {
  private readonly queues = new Map<string, { queue: Queue; registered: Promise<unknown> }>();
  private readonly connection: Redis;

  constructor(
    redis: Redis,
    private readonly prefix: string = KEY_PREFIX,
  ) {
    this.connection = redis.duplicate();
  }

  async send(msg: NotifyMessage): Promise<string> {
    let entry = this.queues.get(msg.channel);
    if (!entry) {
      // Set synchronously, so that messages sent at once to a new channel share one queue.
      const queue = new Queue(channelQueueName(msg.channel), {
        connection: this.connection,
        prefix: this.prefix,
      });
      const registered = this.connection.sadd(channelsKey(this.prefix), msg.channel).catch((err: unknown) => {
        this.queues.delete(msg.channel);
        void queue.close().catch(() => undefined);
        throw err;
      });
      entry = { queue, registered };
      this.queues.set(msg.channel, entry);
    }
    // The channel is listed before its first job is added: no job waits in a queue that workers
    // do not know of.
    await entry.registered;
    const job = await entry.queue.add('post', msg, { removeOnComplete: 1000, removeOnFail: 5000 });
    return job.id ?? '';
  }

  async close(): Promise<void> {
    for (const { queue } of this.queues.values()) {
      await queue.waitUntilReady().catch(() => undefined);
      await queue.close();
    }
    await this.connection.quit().catch(() => undefined);
  }
}

export interface NotifyWorkerOptions {
  redis: Redis;
  prefix?: string;
  post: PostMessage;
  log: Logger;
  /** Minimum time between two posts to the same channel. Default 1000 ms. */
  intervalMs?: number;
  /** First backoff after a 5xx or network error, doubled on each consecutive failure. */
  backoffBaseMs?: number;
  /** How often the set of channels is read again to serve channels new to this process. */
  discoverMs?: number;
}

export interface NotifyWorker {
  close(): Promise<void>;
}

export function startNotifyWorker(o: NotifyWorkerOptions): NotifyWorker {
  const intervalMs = o.intervalMs ?? 1000;
  const prefix = o.prefix ?? KEY_PREFIX;
  // One connection for the commands of every channel's worker; BullMQ gives each worker its own
  // blocking connection on top (a blocked connection cannot be shared).
  const connection = o.redis.duplicate();
  const workers = new Map<string, Worker>();
  let closed = false;

  const serve = (channel: string): void => {
    if (workers.has(channel)) return;
    // Consecutive failures of this channel, for the backoff: an outage seen by one channel does
    // not lengthen another's wait beyond what that channel sees itself.
    let failures = 0;
    const worker: Worker = new Worker(
      channelQueueName(channel),
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
      { connection, prefix, concurrency: 1, limiter: { max: 1, duration: intervalMs } },
    );
    worker.on('error', (err) => o.log.error({ channel, err: err.message }, 'notify worker connection error'));
    workers.set(channel, worker);
  };

  const discover = async (): Promise<void> => {
    const channels = await connection.smembers(channelsKey(prefix));
    if (!closed) for (const channel of channels) serve(channel);
  };
  let discovering: Promise<void> = discover().catch((err: unknown) =>
    o.log.warn({ err: String(err) }, 'notify channels not read; retrying'),
  );
  const timer = setInterval(() => {
    discovering = discovering
      .then(discover)
      .catch((err: unknown) => o.log.warn({ err: String(err) }, 'notify channels not read; retrying'));
  }, o.discoverMs ?? 1000);
  timer.unref();

  return {
    async close() {
      closed = true;
      clearInterval(timer);
      await discovering;
      await Promise.all([...workers.values()].map((w) => w.close()));
      await connection.quit().catch(() => undefined);
    },
  };
}
