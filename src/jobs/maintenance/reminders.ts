import type { Queue } from 'bullmq';
import { reminderPlan } from '../../domain/maintenance/reminders.js';
import type {
  MaintenanceWindow,
  NotificationSettings,
  ReminderKind,
  ReminderPlanItem,
} from '../../domain/maintenance/types.js';

// Reminders are BullMQ delayed jobs with stable ids (window, kind, instant): adding one twice is a
// no-op, so they fire once however many workers run, and they live in Redis, so they survive
// restarts. Delays are computed from the injected clock.

export interface ReminderJobData {
  windowId: string;
  kind: ReminderKind;
  at: string;
}

const KEEP_SECONDS = 30 * 86_400;

export class ReminderScheduler {
  constructor(
    private readonly queue: Queue,
    private readonly settings: NotificationSettings,
    private readonly clock: () => number,
  ) {}

  /** The reminders the window should have now (pure; store them with the window). */
  plan(window: MaintenanceWindow): ReminderPlanItem[] {
    return reminderPlan(window, this.settings, this.clock());
  }

  /**
   * Makes the queue match `desired`: jobs of `previous` that are not desired any more are removed
   * (a rescheduled or cancelled window), desired ones are added or their delay recomputed.
   */
  async apply(windowId: string, previous: ReminderPlanItem[], desired: ReminderPlanItem[]): Promise<void> {
    const keep = new Set(desired.map((d) => d.jobId));
    for (const old of previous) {
      if (keep.has(old.jobId)) continue;
      // A job being processed right now cannot be removed; its processor sees it is stale.
      await this.queue.remove(old.jobId).catch(() => 0);
    }
    for (const item of desired) await this.ensure(windowId, item);
  }

  /**
   * Re-creates the future reminders of every live window, with delays from the clock: run at worker
   * start-up (a crash between saving a window and queueing its jobs loses nothing).
   */
  async resync(windows: MaintenanceWindow[]): Promise<void> {
    for (const w of windows) {
      for (const item of this.plan(w)) {
        if (w.reminders.some((r) => r.jobId === item.jobId)) await this.ensure(w.id, item);
      }
    }
  }

  private async ensure(windowId: string, item: ReminderPlanItem): Promise<void> {
    const delay = Math.max(0, Date.parse(item.at) - this.clock());
    const existing = await this.queue.getJob(item.jobId);
    if (existing) {
      if ((await existing.getState()) === 'delayed') {
        if (delay === 0) await existing.promote();
        else await existing.changeDelay(delay);
      }
      return;
    }
    const data: ReminderJobData = { windowId, kind: item.kind, at: item.at };
    await this.queue.add(item.kind, data, {
      jobId: item.jobId,
      delay,
      attempts: 5,
      backoff: { type: 'exponential', delay: 5_000 },
      removeOnComplete: { age: KEEP_SECONDS },
      removeOnFail: { age: KEEP_SECONDS },
    });
  }
}
