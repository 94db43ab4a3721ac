import { describe, expect, it } from 'vitest';
import { classifyPostError } from '../../src/jobs/notify/classify.js';
import { buildRunReport, renderRunReportMarkdown, runState } from '../../src/jobs/run/index.js';
import type { RunRecord, StepRecord } from '../../src/jobs/run/types.js';
import { COLD_STEPS, testPlan } from '../support/run-plans.js';

// Pure parts of the run engine: progress state and ETA, the report, and how Slack failures are read.

const plan = testPlan({
  maxParallelUnits: 1,
  units: [
    { id: 'ds_a', steps: COLD_STEPS },
    { id: 'ds_b', steps: COLD_STEPS },
  ],
});

function step(
  kind: StepRecord['kind'],
  state: StepRecord['state'],
  extra: Partial<StepRecord> = {},
): StepRecord {
  return {
    kind,
    state,
    startedAt: null,
    endedAt: null,
    attempts: state === 'pending' ? 0 : 1,
    estimateMs: 10_000,
    progress: null,
    error: null,
    skipReason: null,
    outcome: null,
    ...extra,
  };
}

function run(): RunRecord {
  return {
    id: 'r-abc123',
    kind: 'migrate',
    from: 'site5',
    to: 'lognes',
    requestedBy: 'alice',
    approvals: [{ user: 'bob', at: '2026-11-25T20:00:00.000Z' }],
    planHash: plan.hash,
    status: 'running',
    stopOnFailure: false,
    haltedBy: null,
    generation: 0,
    createdAt: '2026-11-25T20:00:00.000Z',
    startedAt: '2026-11-25T20:00:01.000Z',
    endedAt: null,
    error: null,
    unitOrder: ['ds_a', 'ds_b'],
    version: 7,
    units: {
      ds_a: {
        id: 'ds_a',
        status: 'running',
        startedAt: '2026-11-25T20:00:01.000Z',
        endedAt: null,
        steps: [
          step('shutdown-vms', 'done', {
            startedAt: '2026-11-25T20:00:01.000Z',
            endedAt: '2026-11-25T20:00:31.000Z',
            outcome: { summary: '3 VMs shut down' },
          }),
          step('unmount-datastore', 'running', {
            startedAt: '2026-11-25T20:00:31.000Z',
            progress: { percent: 50, message: 'unmounting on 2/4 hosts' },
          }),
          step('switch-replication', 'pending'),
          step('mount-datastore', 'pending'),
        ],
      },
      ds_b: {
        id: 'ds_b',
        status: 'pending',
        startedAt: null,
        endedAt: null,
        steps: COLD_STEPS.map((k) => step(k, 'pending')),
      },
    },
  };
}

describe('run state', () => {
  it('gives percent from estimates and step progress, and an ETA from what is left', () => {
    const s = runState(run(), 1, Date.parse('2026-11-25T20:00:36.000Z'));
    // 1 step done + half a step, of 8 steps of 10 s.
    expect(s.percent).toBe(19);
    // ds_a has 25 s left, ds_b 40 s, one unit at a time.
    expect(s.etaMs).toBe(65_000);
    expect(s.units[0]?.steps[1]).toEqual({
      kind: 'unmount-datastore',
      state: 'running',
      percent: 50,
      message: 'unmounting on 2/4 hosts',
    });
    expect(runState(run(), 2, Date.parse('2026-11-25T20:00:36.000Z')).etaMs).toBe(40_000);
  });

  it('has no ETA once the run is not moving', () => {
    expect(runState({ ...run(), status: 'paused' }, 1).etaMs).toBeNull();
  });
});

describe('run report', () => {
  it('says what moved, what failed and what did not move, per unit, in JSON and Markdown', () => {
    const r = run();
    r.status = 'failed';
    r.endedAt = '2026-11-25T20:02:01.000Z';
    const a = r.units.ds_a;
    if (!a) throw new Error('fixture');
    a.status = 'failed';
    a.steps[1] = step('unmount-datastore', 'failed', {
      startedAt: '2026-11-25T20:00:31.000Z',
      endedAt: '2026-11-25T20:01:31.000Z',
      error: {
        code: 'DATASTORE_BUSY',
        message: 'datastore in use | by host esx-1',
        hint: 'Unmount by hand.',
      },
    });
    const report = buildRunReport(r, plan);
    expect(report).toMatchObject({
      status: 'failed',
      moved: [],
      failed: ['ds_a'],
      notMoved: ['ds_b'],
      durationMs: 120_000,
    });
    expect(report.units[0]?.steps[0]).toMatchObject({ durationMs: 30_000, summary: '3 VMs shut down' });
    const md = renderRunReportMarkdown(report);
    expect(md).toContain('# Run r-abc123: migrate site5 → lognes — failed');
    expect(md).toContain('- Failed: ds_a');
    expect(md).toContain('| 1 | shutdown-vms | done | 1 | 30s | 3 VMs shut down |');
    expect(md).toContain(
      '| 2 | unmount-datastore | failed | 1 | 1m00s | **[DATASTORE_BUSY]** datastore in use \\| by host esx-1 |',
    );
  });
});

describe('Slack failures in the notify queue', () => {
  it('waits Retry-After on 429, backs off on 5xx and network errors, gives up on refusals', () => {
    expect(classifyPostError({ code: 'slack_webapi_rate_limited_error', retryAfter: 7 }, 1)).toMatchObject({
      kind: 'retry',
      delayMs: 7000,
    });
    expect(classifyPostError({ code: 'slack_webapi_http_error', statusCode: 503 }, 3, 100)).toMatchObject({
      kind: 'retry',
      delayMs: 400,
    });
    expect(classifyPostError({ code: 'slack_webapi_request_error' }, 20)).toMatchObject({
      kind: 'retry',
      delayMs: 60_000,
    });
    expect(
      classifyPostError({ code: 'slack_webapi_platform_error', data: { error: 'channel_not_found' } }, 1)
        .kind,
    ).toBe('fatal');
    expect(
      classifyPostError({ code: 'slack_webapi_platform_error', data: { error: 'fatal_error' } }, 1).kind,
    ).toBe('retry');
  });
});
