import { KEY_PREFIX } from '../redis.js';

// Redis keys of the maintenance store, under the same prefix as BullMQ's.

export const MAINTENANCE_QUEUE = 'bascule-maintenance';

export function maintenanceKeys(prefix = KEY_PREFIX) {
  return {
    window: (id: string) => `${prefix}:maint:window:${id}`,
    /** Sorted set of window ids by start time. */
    index: `${prefix}:maint:index`,
    /** Bumped by every write; watched so that overlap checks and writes are atomic. */
    revision: `${prefix}:maint:rev`,
    /** Set once a reminder was posted to a channel, so a retried job does not post twice. */
    sent: (jobId: string, channel: string) => `${prefix}:maint:sent:${jobId}:${channel}`,
  };
}
