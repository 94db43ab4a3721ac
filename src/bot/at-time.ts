import { UsageError } from '../domain/errors.js';
import type { RunRecord } from '../jobs/run/types.js';
import type { BotRun } from './bot-runs.js';
import type { BotContext } from './context.js';

// `--at` for /migrate: an ISO 8601 time with its offset (2026-11-27T22:00+01:00), or HH:MM meaning
// the next such time in the configured timezone. Never in the past. Once approved, the run job
// waits in the run queue as a BullMQ delayed job (RunControl.approve with startAt): it survives
// restarts of the bot and starts with no bot at all.

function offsetMs(timeZone: string, at: Date): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return asUtc - Math.floor(at.getTime() / 1000) * 1000;
}

export function parseAt(text: string, timeZone: string, now: number, usage: string): number {
  const hm = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (hm) {
    const h = Number(hm[1]);
    const m = Number(hm[2]);
    if (h > 23 || m > 59) throw new UsageError(`--at ${text} is not a time of day`, usage);
    const off = offsetMs(timeZone, new Date(now));
    const local = new Date(now + off);
    let t = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate(), h, m) - off;
    if (t <= now) t += 86_400_000;
    return t;
  }
  const t = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:?\d{2})$/.test(text)
    ? Date.parse(text)
    : Number.NaN;
  if (Number.isNaN(t)) {
    throw new UsageError(
      `--at "${text}" is not a time; give HH:MM (${timeZone}) or an ISO time such as 2026-11-27T22:00+01:00`,
      usage,
    );
  }
  if (t <= now) throw new UsageError(`--at ${text} is in the past`, usage);
  return t;
}

export function formatAt(t: number, timeZone: string): string {
  return `${new Intl.DateTimeFormat('en-GB', { timeZone, dateStyle: 'medium', timeStyle: 'short' }).format(new Date(t))} (${timeZone})`;
}

/**
 * A run approved by a bot that kept `--at` in an in-process timer (before delayed jobs): its
 * approvals are recorded with the run control now, which queues it delayed (or at once if the time
 * has passed). Failures are said in the thread: the operators must know it will not start.
 */
export async function queueLegacySchedule(ctx: BotContext, r: BotRun, run: RunRecord): Promise<void> {
  try {
    let after = run;
    for (const a of r.approvals) {
      if (after.status !== 'awaiting-approval') break;
      if (after.approvals.some((x) => x.user === a.user)) continue;
      after = await ctx.control.approve(r.runId, a.user, { startAt: r.startAt, now: ctx.now() });
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    ctx.log.error({ runId: r.runId, err: message }, 'scheduled run not queued');
    await ctx.client.chat.postMessage({
      channel: r.channel,
      thread_ts: r.parentTs,
      text: `:warning: Run \`${r.runId}\` could not be queued for its start time: ${message}. Run the command again.`,
    });
  }
}
