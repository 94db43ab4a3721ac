import { formatDuration } from './impact.js';
import { formatLocal } from './local-time.js';
import { escapeMrkdwn, mention, mrkdwn, plain, type SlackMessage, slackDate } from './slack-format.js';
import { type MaintenanceWindow, type PreflightSummary, type ServiceImpact, STATE_LABELS } from './types.js';

// Pure renderers of every maintenance message: window in, Block Kit out. The bot wires the buttons
// (action ids below); the value carries what the handler needs without a lookup.

export const ACTION_RUN_PREFLIGHT = 'maintenance_run_preflight';
export const ACTION_START_FAILBACK = 'maintenance_start_failback';

export interface ButtonValue {
  windowId: string;
  site: string;
  destination: string;
  mode: string | null;
}

const MAX_SERVICES_SHOWN = 25;

export function buttonValue(w: MaintenanceWindow): string {
  const v: ButtonValue = { windowId: w.id, site: w.site, destination: w.destination, mode: w.mode };
  return JSON.stringify(v);
}

function impactLine(s: ServiceImpact): string {
  const owners = s.owners.length > 0 ? ` ${s.owners.map(mention).join(' ')}` : '';
  const what =
    s.kind === 'downtime'
      ? `down for about ${formatDuration(s.downtimeMs ?? 0)}`
      : s.kind === 'reboot'
        ? `one reboot${s.downtimeMs ? ` (about ${formatDuration(s.downtimeMs)})` : ''}`
        : s.kind === 'none'
          ? 'no interruption (live migration)'
          : 'impact not estimated yet';
  return `• *${escapeMrkdwn(s.service)}*: ${what}${owners}`;
}

export function impactText(impact: ServiceImpact[] | null): string {
  if (impact === null)
    return '_No plan yet: the impact per service will be announced once a preflight has run._';
  if (impact.length === 0) return '_No VM on this site is affected._';
  const lines = impact.slice(0, MAX_SERVICES_SHOWN).map(impactLine);
  if (impact.length > MAX_SERVICES_SHOWN)
    lines.push(`…and ${impact.length - MAX_SERVICES_SHOWN} more services`);
  return lines.join('\n');
}

function when(w: MaintenanceWindow): string {
  return `${slackDate(Date.parse(w.startsAt), w.timezone)} → ${slackDate(Date.parse(w.endsAt), w.timezone)}`;
}

function plainWhen(w: MaintenanceWindow): string {
  return `${formatLocal(Date.parse(w.startsAt), w.timezone)} to ${formatLocal(Date.parse(w.endsAt), w.timezone)}`;
}

export type AnnouncementOccasion =
  | { type: 'scheduled' }
  | { type: 'updated' }
  | { type: 'reminder'; offset: string };

function leadText(offset: string): string {
  const m = /^(\d+)(s|m|h|d)$/.exec(offset);
  if (!m) return offset;
  const n = Number(m[1]);
  const unit = { s: 'second', m: 'minute', h: 'hour', d: 'day' }[m[2] as 's' | 'm' | 'h' | 'd'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** The announcement to the announce channels: site, when, why, impact per service. */
export function renderAnnouncement(w: MaintenanceWindow, occasion: AnnouncementOccasion): SlackMessage {
  const title =
    occasion.type === 'scheduled'
      ? `Power maintenance scheduled on ${w.site}`
      : occasion.type === 'updated'
        ? `Power maintenance on ${w.site} changed`
        : `Reminder: power maintenance on ${w.site} in ${leadText(occasion.offset)}`;
  return {
    text: `${title}: ${plainWhen(w)}. ${w.reason}`,
    blocks: [
      { type: 'header', text: plain(title.slice(0, 150)) },
      {
        type: 'section',
        text: mrkdwn(`*When:* ${when(w)}\n*Why:* ${escapeMrkdwn(w.reason)}`),
        fields: [mrkdwn(`*Site:* ${w.site}`), mrkdwn(`*VMs move to:* ${w.destination}`)],
      },
      { type: 'section', text: mrkdwn(`*Expected impact*\n${impactText(w.impact)}`.slice(0, 3000)) },
      { type: 'context', elements: [mrkdwn(`Maintenance ${w.id} · ${STATE_LABELS[w.state]}`)] },
    ],
  };
}

export function renderCancellation(w: MaintenanceWindow): SlackMessage {
  const title = `Power maintenance on ${w.site} cancelled`;
  return {
    text: `${title} (${plainWhen(w)})`,
    blocks: [
      { type: 'section', text: mrkdwn(`*${title}*\nIt was planned ${when(w)}: ${escapeMrkdwn(w.reason)}`) },
      { type: 'context', elements: [mrkdwn(`Maintenance ${w.id}`)] },
    ],
  };
}

/** Ops channel, startPromptLead before the start: "starts in 2 h" with Run preflight. */
export function renderStartPrompt(w: MaintenanceWindow, lead: string): SlackMessage {
  const title = `Maintenance of ${w.site} starts in ${leadText(lead).replace(/ hours?$/, ' h')}`;
  return {
    text: `${title} (${plainWhen(w)}). Run the preflight, then migrate to ${w.destination}.`,
    blocks: [
      { type: 'section', text: mrkdwn(`*${title}*\n${when(w)}\n${escapeMrkdwn(w.reason)}`) },
      {
        type: 'section',
        text: mrkdwn(
          `Move the VMs to *${w.destination}*${w.mode ? ` (${w.mode} mode)` : ''} before the power is cut.`,
        ),
      },
      {
        type: 'actions',
        block_id: `maint-start-${w.id}`,
        elements: [
          {
            type: 'button',
            action_id: ACTION_RUN_PREFLIGHT,
            text: plain('Run preflight'),
            value: buttonValue(w),
            style: 'primary',
          },
        ],
      },
      { type: 'context', elements: [mrkdwn(`Maintenance ${w.id}`)] },
    ],
  };
}

/** Ops channel, at the 1-day reminder, only when a preflight blocks. */
export function renderPreflightWarning(w: MaintenanceWindow, summary: PreflightSummary): SlackMessage {
  const title = `Preflight for the ${w.site} maintenance would block today`;
  const blockers = summary.blockers.slice(0, 15).map((b) => `• ${escapeMrkdwn(b)}`);
  return {
    text: `${title}: ${summary.blockers.length} problem(s) to fix before ${plainWhen(w)}.`,
    blocks: [
      {
        type: 'section',
        text: mrkdwn(
          `*${title}*\nThe window starts ${slackDate(Date.parse(w.startsAt), w.timezone)}. Fix these first:`,
        ),
      },
      { type: 'section', text: mrkdwn(blockers.join('\n').slice(0, 3000) || '• (no details)') },
      { type: 'context', elements: [mrkdwn(`Maintenance ${w.id}`)] },
    ],
  };
}

/** Ops channel, at the end of the window: "Power is back" with Start failback. */
export function renderEndPrompt(w: MaintenanceWindow): SlackMessage {
  const title = `Power is back on ${w.site}`;
  return {
    text: `${title}: the maintenance window ended. Start the failback from ${w.destination}.`,
    blocks: [
      {
        type: 'section',
        text: mrkdwn(
          `*${title}*\nThe window ended ${slackDate(Date.parse(w.endsAt), w.timezone)}. Bring the VMs back from *${w.destination}* once the room is confirmed ready.`,
        ),
      },
      {
        type: 'actions',
        block_id: `maint-end-${w.id}`,
        elements: [
          {
            type: 'button',
            action_id: ACTION_START_FAILBACK,
            text: plain('Start failback'),
            value: buttonValue(w),
            style: 'primary',
          },
        ],
      },
      { type: 'context', elements: [mrkdwn(`Maintenance ${w.id}`)] },
    ],
  };
}
