import { MaintenanceError } from './errors.js';

// Wall-clock times in a named IANA zone, with Intl only (Node has full ICU). A local time that the
// clocks skip (spring forward) or show twice (fall back) is an error, never a silent guess: a
// window that starts an hour off is a migration that starts with the power already cut.

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch {
      throw new MaintenanceError(
        'MAINT_BAD_TIMEZONE',
        `unknown time zone "${zone}"`,
        'Set notifications.timezone in sites.yaml to an IANA zone such as Europe/Paris.',
      );
    }
    formatters.set(zone, f);
  }
  return f;
}

/** Throws MAINT_BAD_TIMEZONE when the zone is not a known IANA zone. */
export function checkZone(zone: string): void {
  formatter(zone);
}

export function localParts(utcMs: number, zone: string): LocalParts {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(utcMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 0,
    day: parts.day ?? 0,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** Offset of the zone from UTC at that instant, in ms (Europe/Paris in winter: 3_600_000). */
export function zoneOffsetMs(utcMs: number, zone: string): number {
  const p = localParts(utcMs, zone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/** Every UTC instant showing this wall time in the zone: none (gap), one, or two (overlap). */
export function instantsForLocal(p: LocalParts, zone: string): number[] {
  const naive = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  const offsets = new Set([-86_400_000, 0, 86_400_000].map((d) => zoneOffsetMs(naive + d, zone)));
  const found = new Set<number>();
  for (const offset of offsets) {
    const t = naive - offset;
    const q = localParts(t, zone);
    if (
      q.year === p.year &&
      q.month === p.month &&
      q.day === p.day &&
      q.hour === p.hour &&
      q.minute === p.minute &&
      q.second === p.second
    ) {
      found.add(t);
    }
  }
  return [...found].sort((a, b) => a - b);
}

const pattern = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\s*(Z|[+-]\d{2}:?\d{2}))?$/i;

const formatHint = (zone: string) =>
  `Write the time as "YYYY-MM-DD HH:MM" (${zone} time) or ISO 8601 with an offset such as 2026-12-05T07:00+01:00.`;

function offsetText(ms: number): string {
  const sign = ms < 0 ? '-' : '+';
  const abs = Math.abs(ms) / 60_000;
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/**
 * Parses "2026-12-05 07:00" as a wall time in `zone`, or an ISO 8601 time with an offset (then the
 * zone does not matter). Returns epoch ms. `what` names the option in error messages ("--from").
 */
export function parseLocalTime(text: string, zone: string, what = 'time'): number {
  checkZone(zone);
  const m = pattern.exec(text.trim());
  if (!m) {
    throw new MaintenanceError(
      'MAINT_BAD_TIME',
      `${what} "${text}" is not a date and time`,
      formatHint(zone),
      {
        value: text,
      },
    );
  }
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const naive = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(naive);
  if (
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    throw new MaintenanceError(
      'MAINT_BAD_TIME',
      `${what} "${text}" is not a real date and time`,
      formatHint(zone),
      {
        value: text,
      },
    );
  }
  const offset = m[7];
  if (offset !== undefined) {
    if (offset.toUpperCase() === 'Z') return naive;
    const o = /^([+-])(\d{2}):?(\d{2})$/.exec(offset);
    const ms = (Number(o?.[2]) * 60 + Number(o?.[3])) * 60_000;
    return o?.[1] === '-' ? naive + ms : naive - ms;
  }
  const instants = instantsForLocal({ year, month, day, hour, minute, second }, zone);
  if (instants.length === 0) {
    const before = zoneOffsetMs(naive - 86_400_000, zone);
    const after = zoneOffsetMs(naive + 86_400_000, zone);
    throw new MaintenanceError(
      'MAINT_DST_GAP',
      `${what} "${text}" does not exist in ${zone}: the clocks jump from ${offsetText(before)} to ${offsetText(after)} at that time (daylight saving)`,
      `Pick a time outside the skipped hour, or give an explicit offset such as ${text.replace(' ', 'T')}${offsetText(after)}.`,
      { value: text, zone },
    );
  }
  if (instants.length > 1) {
    const offsets = instants.map((t) => offsetText(zoneOffsetMs(t, zone)));
    throw new MaintenanceError(
      'MAINT_DST_AMBIGUOUS',
      `${what} "${text}" happens twice in ${zone} (clocks go back; it is both ${offsets.join(' and ')})`,
      `Give an explicit offset to choose one, e.g. ${text.replace(' ', 'T')}${offsets[0]} (first) or ${text.replace(' ', 'T')}${offsets[1]} (second).`,
      { value: text, zone },
    );
  }
  return instants[0] as number;
}

/**
 * The instant `days` calendar days before/after `utcMs` at the same wall time in `zone` (so "1 day
 * before 07:00" is 07:00 the day before, even across a DST change). When that wall time falls in a
 * gap, the instant just after the gap; when it is ambiguous, the earlier one.
 */
export function addLocalDays(utcMs: number, days: number, zone: string): number {
  const p = localParts(utcMs, zone);
  const shifted = new Date(Date.UTC(p.year, p.month - 1, p.day + days, p.hour, p.minute, p.second));
  const target = {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: p.hour,
    minute: p.minute,
    second: p.second,
  };
  const instants = instantsForLocal(target, zone);
  if (instants[0] !== undefined) return instants[0];
  // In a gap: the wall time read with the offset before the change lands just after the gap.
  return shifted.getTime() - zoneOffsetMs(shifted.getTime() - 86_400_000, zone);
}

/** "2026-12-05 07:00 (UTC+01:00)": the fallback text of Slack dates and the CLI's display. */
export function formatLocal(utcMs: number, zone: string): string {
  const p = localParts(utcMs, zone);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)} (UTC${offsetText(zoneOffsetMs(utcMs, zone))})`;
}
