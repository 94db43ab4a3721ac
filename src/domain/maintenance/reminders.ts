import { durationMs } from '../duration.js';
import { addLocalDays } from './local-time.js';
import type { MaintenanceWindow, NotificationSettings, ReminderKind, ReminderPlanItem } from './types.js';

// When each reminder of a window fires. Offsets in days ("7d", "1d") are calendar days in the
// configured zone, so "1d" before a 07:00 start fires at 07:00 the day before even across a DST
// change; offsets in hours, minutes and seconds are elapsed time. Instants already past are dropped.

/** The reminder that also runs the preflight early warning. */
export const PREFLIGHT_WARNING_OFFSET = '1d';

/** `20261024T050000Z`: the instant as it appears in job ids and iCalendar. */
export function compactUtc(utcMs: number): string {
  return new Date(utcMs)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/**
 * Stable BullMQ job id for (window, kind, instant). BullMQ refuses ":" in custom ids, so the parts
 * are joined with "-" (`maint-mw-1a2b3c-reminder-1d-20261024T050000Z`).
 */
export function reminderJobId(windowId: string, kind: ReminderKind, utcMs: number): string {
  return `maint-${windowId}-${kind}-${compactUtc(utcMs)}`;
}

export function offsetBefore(utcMs: number, offset: string, zone: string): number {
  const m = /^(\d+)d$/.exec(offset);
  if (m) return addLocalDays(utcMs, -Number(m[1]), zone);
  return utcMs - durationMs(offset);
}

/** Reminders still to fire for the window at `now`, in time order; none once cancelled or done. */
export function reminderPlan(
  window: Pick<MaintenanceWindow, 'id' | 'startsAt' | 'endsAt' | 'state'>,
  settings: NotificationSettings,
  now: number,
): ReminderPlanItem[] {
  if (window.state === 'cancelled' || window.state === 'done') return [];
  const start = Date.parse(window.startsAt);
  const end = Date.parse(window.endsAt);
  const items: Array<{ kind: ReminderKind; at: number }> = [
    ...[...new Set(settings.reminders)].map((r) => ({
      kind: `reminder-${r}` as ReminderKind,
      at: offsetBefore(start, r, settings.timezone),
    })),
    { kind: 'start-prompt', at: start - durationMs(settings.startPromptLead) },
    { kind: 'end-prompt', at: end },
  ];
  return items
    .filter((i) => i.at > now)
    .sort((a, b) => a.at - b.at || a.kind.localeCompare(b.kind))
    .map((i) => ({
      kind: i.kind,
      at: new Date(i.at).toISOString(),
      jobId: reminderJobId(window.id, i.kind, i.at),
    }));
}

/** "7d" for `reminder-7d`, null for the prompts. */
export function reminderOffset(kind: ReminderKind): string | null {
  return kind.startsWith('reminder-') ? kind.slice('reminder-'.length) : null;
}
