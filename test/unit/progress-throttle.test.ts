import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { throttleProgress } from '../../src/jobs/run/step-services.js';
import type { StepProgress } from '../../src/jobs/steps/types.js';

// Progress reports of one step reach the run record at most once per interval, the latest winning.

const p = (n: number): StepProgress => ({ percent: n, message: `step ${n}` });

describe('throttleProgress', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('passes the first report at once, then only the latest of each interval', () => {
    const seen: StepProgress[] = [];
    const report = throttleProgress((x) => seen.push(x), 1_000);
    report(p(1));
    expect(seen).toEqual([p(1)]);
    report(p(2));
    report(p(3));
    expect(seen).toEqual([p(1)]);
    vi.advanceTimersByTime(1_000);
    expect(seen).toEqual([p(1), p(3)]);
    vi.advanceTimersByTime(5_000);
    expect(seen).toEqual([p(1), p(3)]);
    report(p(4));
    expect(seen).toEqual([p(1), p(3), p(4)]);
  });

  it('passes everything when the interval is zero', () => {
    const seen: StepProgress[] = [];
    const report = throttleProgress((x) => seen.push(x), 0);
    for (const n of [1, 2, 3]) report(p(n));
    expect(seen).toEqual([p(1), p(2), p(3)]);
  });
});
