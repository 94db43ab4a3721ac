import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { history, type RunEvent, type RunReport, readEvents } from '../../src/jobs/run/index.js';
import { createRunHarness, ended, type RunHarness } from '../support/run-harness.js';
import { COLD_STEPS, testPlan } from '../support/run-plans.js';
import {
  maxOverlap,
  maxUnitOverlap,
  spansOverlap,
  unitSpans,
  worldKeys,
  worldRecord,
} from '../support/world-executors.js';

// Engine mechanics against a real Redis, with the world executors: order of steps, checkpoints,
// parallel limits, notConcurrentWith, failback resyncs one at a time, audit and report.

let h: RunHarness;
beforeEach(async () => {
  h = await createRunHarness();
});
afterEach(async () => {
  await h.cleanup();
});

describe('run engine', () => {
  it('runs every step of every unit in order, once, with checkpoints, audit and report', async () => {
    h.startEngine();
    const plan = testPlan({
      units: [
        { id: 'ds_a', steps: COLD_STEPS },
        { id: 'ds_b', steps: COLD_STEPS },
      ],
    });
    const run = await h.start(plan);
    expect(run.id).toMatch(/^r-[0-9a-f]{6}$/);
    const done = await h.waitFor(run.id, ended, 'end');
    expect(done.status).toBe('succeeded');
    expect(done.approvals.map((a) => a.user)).toEqual(['bob']);

    const world = await worldRecord(h.redis, h.prefix, run.id);
    for (const unit of ['ds_a', 'ds_b']) {
      const starts = world.log.filter((l) => l.startsWith(`start ${unit}#`)).map((l) => l.split('#')[1]);
      expect(starts).toEqual(COLD_STEPS);
      for (const kind of COLD_STEPS) expect(world.effects[`${unit}#${kind}`]).toBe(1);
      const steps = done.units[unit]?.steps ?? [];
      expect(steps.map((s) => [s.state, s.attempts])).toEqual(COLD_STEPS.map(() => ['done', 1]));
      expect(steps.every((s) => s.outcome?.summary.endsWith('done'))).toBe(true);
      expect(done.units[unit]?.status).toBe('succeeded');
    }

    const audit = await history(h.redis, h.control.store.keys, run.id);
    const types = audit.map((a) => a.type);
    expect(types.slice(0, 3)).toEqual(['run-created', 'run-approved', 'run-started']);
    expect(types.filter((t) => t === 'step-start')).toHaveLength(8);
    expect(types.filter((t) => t === 'step-done')).toHaveLength(8);
    expect(types.at(-1)).toBe('run-ended');
    expect(audit.every((a) => a.planHash === plan.hash)).toBe(true);
    expect(audit.find((a) => a.type === 'run-approved')?.user).toBe('bob');
    const global = await history(h.redis, h.control.store.keys);
    expect(global.length).toBe(audit.length);

    const report = JSON.parse(
      (await h.redis.get(h.control.store.keys.report(run.id))) ?? 'null',
    ) as RunReport;
    expect(report.status).toBe('succeeded');
    expect(report.moved).toEqual(['ds_a', 'ds_b']);
    expect(report.units[0]?.steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'done']);

    const { events } = await readEvents(h.redis, h.control.store.keys, run.id, '0', 10);
    const runStatuses = events.filter((e): e is Extract<RunEvent, { type: 'run' }> => e.type === 'run');
    expect(runStatuses.map((e) => e.status)).toEqual(['awaiting-approval', 'queued', 'running', 'succeeded']);
    const versions = events.flatMap((e) => ('version' in e ? [e.version] : []));
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(await h.control.store.activeIds()).toEqual([]);
  });

  it('runs no more units at once than maxParallelUnits', async () => {
    h.startEngine();
    const w = worldKeys(h.prefix);
    // Two units held inside their first step at the same time: the limit lets two run.
    for (const u of ['ds_1', 'ds_2']) await h.redis.set(w.block(`${u}#shutdown-vms`, 'before'), '1');
    const units = ['ds_1', 'ds_2', 'ds_3', 'ds_4', 'ds_5'].map((id) => ({ id, steps: COLD_STEPS }));
    const run = await h.start(testPlan({ units, maxParallelUnits: 2 }));
    await h.waitForKey(w.entered('ds_1#shutdown-vms', 'before'));
    await h.waitForKey(w.entered('ds_2#shutdown-vms', 'before'));
    const holders = await h.redis.hkeys(h.control.store.keys.slots(run.id));
    expect(holders.sort()).toEqual(['ds_1', 'ds_2']);
    for (const u of ['ds_1', 'ds_2']) await h.redis.del(w.block(`${u}#shutdown-vms`, 'before'));
    expect((await h.waitFor(run.id, ended)).status).toBe('succeeded');
    const { log } = await worldRecord(h.redis, h.prefix, run.id);
    expect(maxUnitOverlap(log)).toBeLessThanOrEqual(2);
    expect(log.filter((l) => l.startsWith('start'))).toHaveLength(20);
  });

  it('never runs units marked notConcurrentWith side by side', async () => {
    h.startEngine();
    const plan = testPlan({
      maxParallelUnits: 3,
      units: [
        // Written on one side only: the engine keeps the pair apart both ways.
        { id: 'ds_a', steps: COLD_STEPS, notConcurrentWith: ['ds_b'] },
        { id: 'ds_b', steps: COLD_STEPS },
        { id: 'ds_c', steps: COLD_STEPS },
      ],
    });
    const run = await h.start(plan);
    expect((await h.waitFor(run.id, ended)).status).toBe('succeeded');
    const spans = unitSpans((await worldRecord(h.redis, h.prefix, run.id)).log);
    expect(spansOverlap(spans.get('ds_a'), spans.get('ds_b'))).toBe(false);
  });

  it('runs failback resyncs strictly one at a time', async () => {
    h.startEngine();
    const steps = ['resync-replication', ...COLD_STEPS] as const;
    const plan = testPlan({
      kind: 'failback',
      from: 'lognes',
      to: 'site5',
      maxParallelUnits: 3,
      units: ['ds_1', 'ds_2', 'ds_3'].map((id) => ({ id, steps: [...steps] })),
    });
    const run = await h.start(plan);
    expect((await h.waitFor(run.id, ended)).status).toBe('succeeded');
    const { log } = await worldRecord(h.redis, h.prefix, run.id);
    expect(maxOverlap(log, (s) => s.endsWith('#resync-replication'))).toBe(1);
    expect(log.filter((l) => l.startsWith('start') && l.endsWith('#resync-replication'))).toHaveLength(3);
  });
});
