import {
  renderAnnouncement,
  renderEndPrompt,
  renderPreflightWarning,
  renderStartPrompt,
} from '../../domain/maintenance/messages.js';
import { PREFLIGHT_WARNING_OFFSET, reminderOffset } from '../../domain/maintenance/reminders.js';
import type { SlackMessage } from '../../domain/maintenance/slack-format.js';
import type {
  MaintenanceWindow,
  NotificationSettings,
  PreflightSummary,
} from '../../domain/maintenance/types.js';
import type { ReminderJobData } from './reminders.js';
import type { MessageSender } from './sender.js';
import type { MaintenanceStore } from './store.js';

// What a reminder job does when it fires: re-read the window, check the job is still one of its
// reminders (an edit or a cancel may have replaced it), render and post. Each (job, channel) post
// is marked in Redis, so a retried job does not post twice to a channel that already has it.

export interface DeliveryDeps {
  store: MaintenanceStore;
  sender: MessageSender;
  settings: NotificationSettings;
  /** Runs a preflight for the window, for the early warning at the 1-day reminder. */
  preflightSummary?: (window: MaintenanceWindow) => Promise<PreflightSummary | null>;
}

export type DeliveryResult =
  | { status: 'posted'; kind: string; channels: string[] }
  | { status: 'skipped'; kind: string; reason: string };

const SENT_TTL_SECONDS = 90 * 86_400;

/** The 1-day preflight: its impact refreshes the window; a failure to run it is reported, not fatal. */
async function runPreflight(
  w: MaintenanceWindow,
  deps: DeliveryDeps,
): Promise<{ window: MaintenanceWindow; summary: PreflightSummary | null }> {
  if (!deps.preflightSummary) return { window: w, summary: null };
  let summary: PreflightSummary | null;
  try {
    summary = await deps.preflightSummary(w);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    summary = { blocked: true, blockers: [`the preflight could not run: ${message}`] };
  }
  const impact = summary?.impact;
  if (!impact) return { window: w, summary };
  const window = await deps.store.update(w.id, (x) => ({ ...x, impact }));
  return { window, summary };
}

async function messagesFor(
  current: MaintenanceWindow,
  data: ReminderJobData,
  deps: DeliveryDeps,
): Promise<Array<{ channel: string; message: SlackMessage }>> {
  const ops = deps.settings.opsChannel;
  const out: Array<{ channel: string; message: SlackMessage }> = [];
  const offset = reminderOffset(data.kind);
  if (offset !== null) {
    const { window: w, summary } =
      offset === PREFLIGHT_WARNING_OFFSET
        ? await runPreflight(current, deps)
        : { window: current, summary: null };
    const message = renderAnnouncement(w, { type: 'reminder', offset });
    for (const channel of deps.settings.announceChannels) out.push({ channel, message });
    if (ops && summary?.blocked) out.push({ channel: ops, message: renderPreflightWarning(w, summary) });
  } else if (ops && data.kind === 'start-prompt') {
    out.push({ channel: ops, message: renderStartPrompt(current, deps.settings.startPromptLead) });
  } else if (ops && data.kind === 'end-prompt') {
    out.push({ channel: ops, message: renderEndPrompt(current) });
  }
  return out;
}

export async function deliverReminder(
  deps: DeliveryDeps,
  jobId: string,
  data: ReminderJobData,
): Promise<DeliveryResult> {
  const w = await deps.store.get(data.windowId);
  const skip = (reason: string): DeliveryResult => ({ status: 'skipped', kind: data.kind, reason });
  if (!w) return skip('window deleted');
  if (w.state === 'cancelled') return skip('window cancelled');
  if (!w.reminders.some((r) => r.jobId === jobId)) return skip('reminder replaced by an edit');
  const posts = await messagesFor(w, data, deps);
  if (posts.length === 0) return skip('no channel configured for this reminder');
  const channels: string[] = [];
  for (const { channel, message } of posts) {
    const key = deps.store.keys.sent(jobId, channel);
    if ((await deps.store.redis.exists(key)) === 1) continue;
    await deps.sender.post(channel, message);
    await deps.store.redis.set(key, '1', 'EX', SENT_TTL_SECONDS);
    channels.push(channel);
  }
  return { status: 'posted', kind: data.kind, channels };
}
