import { formatLocal } from './local-time.js';
import { escapeMrkdwn, mrkdwn, type SlackMessage, slackDate } from './slack-format.js';
import { type MaintenanceWindow, STATE_LABELS } from './types.js';

// The status view of `list` and `show`: plain text for the terminal, Block Kit for Slack.

/** Upcoming and current windows (not ended, not cancelled) unless `all`; by start time. */
export function visibleWindows(windows: MaintenanceWindow[], now: number, all: boolean): MaintenanceWindow[] {
  return windows
    .filter((w) => all || (w.state !== 'cancelled' && w.state !== 'done' && Date.parse(w.endsAt) > now))
    .sort((a, b) => a.startsAt.localeCompare(b.startsAt) || a.id.localeCompare(b.id));
}

function runLinks(w: MaintenanceWindow, slack: boolean): string {
  const parts: string[] = [];
  for (const [label, link] of [
    ['migration', w.runs.migrate],
    ['failback', w.runs.failback],
  ] as const) {
    if (!link) continue;
    if (slack && link.permalink) parts.push(`<${link.permalink}|${label} ${link.runId}>`);
    else parts.push(`${label} ${link.runId}${link.permalink ? ` ${link.permalink}` : ''}`);
  }
  return parts.join(', ');
}

export function windowText(w: MaintenanceWindow): string {
  const zone = w.timezone;
  const lines = [
    `${w.id}  ${w.site} → ${w.destination}  ${STATE_LABELS[w.state]}`,
    `  from ${formatLocal(Date.parse(w.startsAt), zone)} to ${formatLocal(Date.parse(w.endsAt), zone)} ${zone}`,
    `  reason: ${w.reason}`,
  ];
  if (w.mode) lines.push(`  mode: ${w.mode}`);
  const runs = runLinks(w, false);
  if (runs) lines.push(`  runs: ${runs}`);
  return lines.join('\n');
}

export function renderListText(windows: MaintenanceWindow[]): string {
  if (windows.length === 0) return 'No maintenance window scheduled.';
  return windows.map(windowText).join('\n\n');
}

export function renderListMessage(windows: MaintenanceWindow[]): SlackMessage {
  if (windows.length === 0) {
    return {
      text: 'No maintenance window scheduled.',
      blocks: [{ type: 'section', text: mrkdwn('No maintenance window scheduled.') }],
    };
  }
  const blocks = windows.slice(0, 45).map((w) => {
    const runs = runLinks(w, true);
    return {
      type: 'section' as const,
      text: mrkdwn(
        `*${w.id}* · *${w.site}* → ${w.destination} · _${STATE_LABELS[w.state]}_\n${slackDate(Date.parse(w.startsAt), w.timezone)} → ${slackDate(Date.parse(w.endsAt), w.timezone)}\n${escapeMrkdwn(w.reason)}${runs ? `\n${runs}` : ''}`,
      ),
    };
  });
  return { text: `${windows.length} maintenance window(s)`, blocks };
}
