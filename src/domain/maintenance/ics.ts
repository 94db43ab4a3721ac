import { compactUtc } from './reminders.js';
import type { MaintenanceWindow } from './types.js';

// The iCalendar feed (RFC 5545): one VEVENT per window, UID stable per window, times in UTC,
// SEQUENCE = the window's version, STATUS:CANCELLED for cancelled ones. Lines end in CRLF and are
// folded at 75 octets without splitting a UTF-8 character.

export interface IcsOptions {
  /** DTSTAMP: when the feed was produced. */
  now: number;
  /** Host part of UIDs, e.g. bascule.example.edu. */
  domain?: string;
  calendarName?: string;
}

export function escapeText(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n|\r|\n/g, '\\n');
}

/** Folds one content line: at most 75 octets per physical line, continuation lines start with a space. */
export function foldLine(line: string): string {
  const out: string[] = [];
  let current = '';
  let octets = 0;
  let limit = 75;
  for (const ch of line) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (octets + size > limit) {
      out.push(current);
      current = ' ';
      octets = 1;
      limit = 75;
    }
    current += ch;
    octets += size;
  }
  out.push(current);
  return out.join('\r\n');
}

const statusOf = (w: MaintenanceWindow) => (w.state === 'cancelled' ? 'CANCELLED' : 'CONFIRMED');

export function windowDescription(w: MaintenanceWindow): string {
  const lines = [
    w.reason,
    '',
    `Site: ${w.site} (VMs move to ${w.destination}${w.mode ? `, ${w.mode} mode` : ''})`,
    `State: ${w.state}`,
  ];
  if (w.impact && w.impact.length > 0) {
    lines.push('Services:');
    for (const s of w.impact) lines.push(`- ${s.service}: ${s.kind}`);
  }
  return lines.join('\n');
}

export function renderIcs(windows: MaintenanceWindow[], o: IcsOptions): string {
  const domain = o.domain ?? 'bascule';
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Bascule//Maintenance windows//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${escapeText(o.calendarName ?? 'Power maintenance')}`,
  ];
  const sorted = [...windows].sort(
    (a, b) => a.startsAt.localeCompare(b.startsAt) || a.id.localeCompare(b.id),
  );
  for (const w of sorted) {
    lines.push(
      'BEGIN:VEVENT',
      `UID:${w.id}@${domain}`,
      `DTSTAMP:${compactUtc(o.now)}`,
      `DTSTART:${compactUtc(Date.parse(w.startsAt))}`,
      `DTEND:${compactUtc(Date.parse(w.endsAt))}`,
      `SEQUENCE:${w.version}`,
      `LAST-MODIFIED:${compactUtc(Date.parse(w.updatedAt))}`,
      `SUMMARY:${escapeText(`Power maintenance: ${w.site}${w.state === 'cancelled' ? ' (cancelled)' : ''}`)}`,
      `DESCRIPTION:${escapeText(windowDescription(w))}`,
      `LOCATION:${escapeText(w.site)}`,
      `STATUS:${statusOf(w)}`,
      'TRANSP:OPAQUE',
      'END:VEVENT',
    );
  }
  lines.push('END:VCALENDAR');
  return `${lines.map(foldLine).join('\r\n')}\r\n`;
}
