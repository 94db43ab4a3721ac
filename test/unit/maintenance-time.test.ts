import { describe, expect, it } from 'vitest';
import { MaintenanceError } from '../../src/domain/maintenance/errors.js';
import { addLocalDays, formatLocal, parseLocalTime } from '../../src/domain/maintenance/local-time.js';
import { reminderJobId, reminderPlan } from '../../src/domain/maintenance/reminders.js';
import type { NotificationSettings } from '../../src/domain/maintenance/types.js';

const PARIS = 'Europe/Paris';
const iso = (ms: number) => new Date(ms).toISOString();

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (err instanceof MaintenanceError) return `${err.code}: ${err.message} | ${err.hint}`;
    throw err;
  }
  throw new Error('no error thrown');
}

describe('parseLocalTime', () => {
  it('reads wall times in the zone, winter and summer', () => {
    expect(iso(parseLocalTime('2026-12-05 07:00', PARIS))).toBe('2026-12-05T06:00:00.000Z');
    expect(iso(parseLocalTime('2026-07-01T07:00', PARIS))).toBe('2026-07-01T05:00:00.000Z');
  });

  it('accepts ISO 8601 with an offset or Z, whatever the zone', () => {
    expect(iso(parseLocalTime('2026-12-05T07:00+01:00', PARIS))).toBe('2026-12-05T06:00:00.000Z');
    expect(iso(parseLocalTime('2026-12-05T07:00:30Z', 'America/New_York'))).toBe('2026-12-05T07:00:30.000Z');
    expect(iso(parseLocalTime('2026-12-05T07:00-0500', PARIS))).toBe('2026-12-05T12:00:00.000Z');
  });

  it('refuses a time skipped by spring forward, naming the problem and a fix', () => {
    const text = codeOf(() => parseLocalTime('2027-03-28 02:30', PARIS, '--from'));
    expect(text).toMatch(/^MAINT_DST_GAP: --from "2027-03-28 02:30" does not exist in Europe\/Paris/);
    expect(text).toContain('+01:00 to +02:00');
    expect(text).toContain('2027-03-28T02:30+02:00');
  });

  it('refuses a time repeated by fall back, offering both offsets', () => {
    const text = codeOf(() => parseLocalTime('2026-10-25 02:30', PARIS, '--to'));
    expect(text).toMatch(/^MAINT_DST_AMBIGUOUS: --to "2026-10-25 02:30" happens twice/);
    expect(text).toContain('2026-10-25T02:30+02:00');
    expect(text).toContain('2026-10-25T02:30+01:00');
    // With an explicit offset it is fine.
    expect(iso(parseLocalTime('2026-10-25T02:30+01:00', PARIS))).toBe('2026-10-25T01:30:00.000Z');
  });

  it('times just around the changes are fine', () => {
    expect(iso(parseLocalTime('2027-03-28 03:00', PARIS))).toBe('2027-03-28T01:00:00.000Z');
    expect(iso(parseLocalTime('2027-03-28 01:59', PARIS))).toBe('2027-03-28T00:59:00.000Z');
    expect(iso(parseLocalTime('2026-10-25 03:00', PARIS))).toBe('2026-10-25T02:00:00.000Z');
  });

  it('refuses garbage, impossible dates and unknown zones', () => {
    expect(codeOf(() => parseLocalTime('next friday', PARIS))).toMatch(/^MAINT_BAD_TIME: time "next friday"/);
    expect(codeOf(() => parseLocalTime('2026-02-30 07:00', PARIS))).toMatch(
      /^MAINT_BAD_TIME: .*not a real date/,
    );
    expect(codeOf(() => parseLocalTime('2026-02-01 24:00', PARIS))).toMatch(/^MAINT_BAD_TIME/);
    expect(codeOf(() => parseLocalTime('2026-02-01 07:00', 'Mars/Olympus'))).toMatch(/^MAINT_BAD_TIMEZONE/);
  });

  it('formats with the offset in force', () => {
    expect(formatLocal(Date.parse('2026-10-25T01:30:00Z'), PARIS)).toBe('2026-10-25 02:30 (UTC+01:00)');
    expect(formatLocal(Date.parse('2026-10-25T00:30:00Z'), PARIS)).toBe('2026-10-25 02:30 (UTC+02:00)');
  });
});

describe('addLocalDays', () => {
  it('keeps the wall time across a DST change', () => {
    // 2026-10-25 07:00 CET (06:00Z) minus one day is 2026-10-24 07:00 CEST (05:00Z), not 06:00Z.
    expect(iso(addLocalDays(Date.parse('2026-10-25T06:00:00Z'), -1, PARIS))).toBe('2026-10-24T05:00:00.000Z');
    // 2027-03-28 07:00 CEST (05:00Z) minus one day is 2027-03-27 07:00 CET (06:00Z).
    expect(iso(addLocalDays(Date.parse('2027-03-28T05:00:00Z'), -1, PARIS))).toBe('2027-03-27T06:00:00.000Z');
  });

  it('lands after the gap or on the first of two instants', () => {
    // 2027-03-29 02:30 CEST minus one day is 02:30 on the 28th, which does not exist: 03:30 CEST.
    expect(iso(addLocalDays(Date.parse('2027-03-29T00:30:00Z'), -1, PARIS))).toBe('2027-03-28T01:30:00.000Z');
    // 2026-10-26 02:30 CET minus one day: 02:30 twice on the 25th, the first (CEST) one.
    expect(iso(addLocalDays(Date.parse('2026-10-26T01:30:00Z'), -1, PARIS))).toBe('2026-10-25T00:30:00.000Z');
  });
});

describe('reminderPlan', () => {
  const settings: NotificationSettings = {
    timezone: PARIS,
    opsChannel: 'C0OPS',
    announceChannels: ['C0ANN'],
    reminders: ['7d', '1d', '1h'],
    startPromptLead: '2h',
  };
  const window = {
    id: 'mw-abc123',
    // 2026-10-25 07:00 CET to 19:00 CET: the night the clocks go back.
    startsAt: '2026-10-25T06:00:00.000Z',
    endsAt: '2026-10-25T18:00:00.000Z',
    state: 'scheduled' as const,
  };

  it('computes every instant, days in local calendar days, hours in elapsed time', () => {
    const plan = reminderPlan(window, settings, Date.parse('2026-10-01T00:00:00Z'));
    expect(plan.map((p) => [p.kind, p.at])).toEqual([
      ['reminder-7d', '2026-10-18T05:00:00.000Z'],
      ['reminder-1d', '2026-10-24T05:00:00.000Z'],
      ['start-prompt', '2026-10-25T04:00:00.000Z'],
      ['reminder-1h', '2026-10-25T05:00:00.000Z'],
      ['end-prompt', '2026-10-25T18:00:00.000Z'],
    ]);
    expect(plan[1]?.jobId).toBe('maint-mw-abc123-reminder-1d-20261024T050000Z');
    expect(plan[1]?.jobId).toBe(
      reminderJobId('mw-abc123', 'reminder-1d', Date.parse('2026-10-24T05:00:00Z')),
    );
  });

  it('drops instants already past, and everything once cancelled', () => {
    const plan = reminderPlan(window, settings, Date.parse('2026-10-24T05:00:00Z'));
    expect(plan.map((p) => p.kind)).toEqual(['start-prompt', 'reminder-1h', 'end-prompt']);
    expect(reminderPlan({ ...window, state: 'cancelled' }, settings, 0)).toEqual([]);
  });

  it('job ids contain no ":" (BullMQ refuses them)', () => {
    for (const p of reminderPlan(window, settings, 0)) expect(p.jobId).not.toContain(':');
  });
});
