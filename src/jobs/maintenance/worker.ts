import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../log.js';
import { KEY_PREFIX } from '../redis.js';
import type { QueueProcessor } from '../worker.js';
import { type DeliveryDeps, deliverReminder } from './deliver.js';
import { MAINTENANCE_QUEUE } from './keys.js';
import type { ReminderJobData } from './reminders.js';

// The maintenance queue's processor, for the shared worker (processors.ts), and a standalone
// Worker with its own prefix and queue name (tests, or a process that only sends reminders).

export function maintenanceProcessor(deps: DeliveryDeps, queue = MAINTENANCE_QUEUE): QueueProcessor {
  return {
    queue,
    concurrency: 4,
    async process(job: Job, log: Logger) {
      const result = await deliverReminder(deps, job.id ?? '', job.data as ReminderJobData);
      log.info({ ...result, windowId: (job.data as ReminderJobData).windowId }, 'maintenance reminder');
      return result;
    },
  };
}

export interface MaintenanceWorkerOptions {
  redis: Redis;
  deps: DeliveryDeps;
  prefix?: string;
  queue?: string;
}

export interface MaintenanceWorker {
  worker: Worker;
  /** Waits for the reminders in hand, then closes the worker and its connection. */
  close(): Promise<void>;
}

export function startMaintenanceWorker(o: MaintenanceWorkerOptions): MaintenanceWorker {
  const connection = o.redis.duplicate();
  const worker = new Worker(
    o.queue ?? MAINTENANCE_QUEUE,
    (job: Job) => deliverReminder(o.deps, job.id ?? '', job.data as ReminderJobData),
    { connection, prefix: o.prefix ?? KEY_PREFIX, concurrency: 4, autorun: true },
  );
  worker.on('error', () => undefined);
  return {
    worker,
    async close() {
      await worker.close();
      connection.disconnect();
    },
  };
}
