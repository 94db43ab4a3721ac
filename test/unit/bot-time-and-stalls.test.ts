import { describe, expect, it } from 'vitest';
import { formatAt, parseAt } from '../../src/bot/at-time.js';
import { stalledSteps } from '../../src/bot/stalls.js';
import type { RunRecord, StepRecord } from '../../src/jobs/run/types.js';

const usage = '/migrate SITE --to SITE [--at TIME]';

describe('--at', () => {
  // 2026-11-25 20:00 UTC = 21:00 in Paris (CET, +01:00).
  const now = Date.parse('2026-11-25T20:00:00Z');

  it('reads HH:MM as the next such time in the configured timezone', () => {
    expect(new Date(parseAt('22:30', 'Europe/Paris', now, usage)).toISOString()).toBe(
      '2026-11-25T21:30:00.000Z',
    );
    // Already past today in Paris: tomorrow.
    expect(new Date(parseAt('20:30', 'Europe/Paris', now, usage)).toISOString()).toBe(
      '2026-11-26T19:30:00.000Z',
    );
    expect(formatAt(Date.parse('2026-11-25T21:30:00Z'), 'Europe/Paris')).toBe(
      '25 Nov 2026, 22:30 (Europe/Paris)',
    );
  });

  it('reads ISO times with their offset and refuses the past and nonsense, with the usage', () => {
    expect(parseAt('2026-11-27T22:00+01:00', 'Europe/Paris', now, usage)).toBe(
      Date.parse('2026-11-27T21:00:00Z'),
    );
    expect(() => parseAt('2026-11-01T22:00Z', 'Europe/Paris', now, usage)).toThrow(/in the past/);
    expect(() => parseAt('25:00', 'Europe/Paris', now, usage)).toThrow(/not a time of day/);
    expect(() => parseAt('tonight', 'Europe/Paris', now, usage)).toThrow(/give HH:MM/);
    try {
      parseAt('tonight', 'Europe/Paris', now, usage);
    } catch (err) {
      expect((err as { hint?: string }).hint).toBe(`Usage: ${usage}`);
    }
  });
});

describe('stalled steps', () => {
  const step = (over: Partial<StepRecord>): StepRecord => ({
    kind: 'swap-roles',
    state: 'pending',
    startedAt: null,
    endedAt: null,
    attempts: 0,
    estimateMs: 60_000,
    progress: null,
    error: null,
    skipReason: null,
    outcome: null,
    ...over,
  });
  const run = (steps: StepRecord[]) =>
    ({
      unitOrder: ['LV-1'],
      units: { 'LV-1': { id: 'LV-1', status: 'running', startedAt: null, endedAt: null, steps } },
    }) as Pick<RunRecord, 'unitOrder' | 'units'> as RunRecord;
  const now = Date.parse('2026-11-25T20:10:00Z');

  it('flags a running step far past its estimate, and only that', () => {
    const r = run([
      step({ state: 'done', startedAt: '2026-11-25T19:00:00Z' }),
      step({ state: 'running', startedAt: '2026-11-25T20:00:00Z' }),
    ]);
    expect(stalledSteps(r, now, 3, 60_000)).toEqual([
      {
        unitId: 'LV-1',
        index: 1,
        kind: 'swap-roles',
        startedAt: '2026-11-25T20:00:00Z',
        spentMs: 600_000,
        estimateMs: 60_000,
      },
    ]);
    expect(stalledSteps(r, now, 20, 60_000)).toEqual([]);
    // A short estimate is not a stall before the minimum.
    expect(
      stalledSteps(
        run([step({ state: 'running', startedAt: '2026-11-25T20:09:30Z', estimateMs: 1_000 })]),
        now,
        3,
        60_000,
      ),
    ).toEqual([]);
  });
});
