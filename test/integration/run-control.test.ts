import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BasculeError } from '../../src/domain/errors.js';
import {
  activeRuns,
  buildRunReport,
  getRunState,
  history,
  readEvents,
  renderRunReportMarkdown,
} from '../../src/jobs/run/index.js';
import { createRunHarness, ended, type RunHarness } from '../support/run-harness.js';
import { COLD_STEPS, testPlan } from '../support/run-plans.js';
import { worldKeys, worldRecord } from '../support/world-executors.js';

// Operators' controls against a running engine: failure and retry, stop on failure, pause and
// resume, cancel, skip, lock refusal and the plan-hash check before the first step.

let h: RunHarness;
beforeEach(async () => {
  h = await createRunHarness();
});
afterEach(async () => {
  await h.cleanup();
});

const twoUnits = (maxParallelUnits = 2) =>
  testPlan({
    maxParallelUnits,
    units: [
      { id: 'ds_a', steps: COLD_STEPS },
      { id: 'ds_b', steps: COLD_STEPS },
    ],
  });

async function refusal(p: Promise<unknown>): Promise<BasculeError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof BasculeError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

/** Starts a two-unit run and holds unit ds_a inside unmount-datastore until `release()`. */
async function runHeldInUnmount() {
  h.startEngine();
  const w = worldKeys(h.prefix);
  const blocked = w.block('ds_a#unmount-datastore', 'before');
  await h.redis.set(blocked, '1');
  const run = await h.start(twoUnits(1));
  await h.waitForKey(w.entered('ds_a#unmount-datastore', 'before'));
  return { run, release: () => h.redis.del(blocked) };
}

describe('run controls', () => {
  it('stops a unit at a failed step, alerts, lets the others finish, and retries from the failed step', async () => {
    h.startEngine();
    const w = worldKeys(h.prefix);
    await h.redis.set(w.fail('ds_b#switch-replication'), 'ARRAY_SAYS_NO');
    const run = await h.start(twoUnits());
    const failed = await h.waitFor(run.id, ended);
    expect(failed.status).toBe('failed');
    expect(failed.units.ds_a?.status).toBe('succeeded');
    expect(failed.units.ds_b?.status).toBe('failed');
    expect(failed.units.ds_b?.steps.map((s) => s.state)).toEqual(['done', 'done', 'failed', 'pending']);
    expect(failed.units.ds_b?.steps[2]?.error).toMatchObject({
      code: 'ARRAY_SAYS_NO',
      hint: 'Clear the fault and retry.',
    });
    const { events } = await readEvents(h.redis, h.control.store.keys, run.id, '0', 10);
    expect(events.filter((e) => e.type === 'alert')).toEqual([
      expect.objectContaining({ unitId: 'ds_b', code: 'ARRAY_SAYS_NO' }),
    ]);
    expect(await activeRuns(h.control.store)).toEqual([]);

    await h.redis.del(w.fail('ds_b#switch-replication'));
    await h.control.retry(run.id, 'carol');
    const retried = await h.waitFor(run.id, (r) => ended(r) && r.generation === 1);
    expect(retried.status).toBe('succeeded');
    expect(retried.units.ds_b?.steps.map((s) => s.attempts)).toEqual([1, 1, 2, 1]);
    const world = await worldRecord(h.redis, h.prefix, run.id);
    expect(world.calls['ds_b#shutdown-vms']).toBe(1);
    expect(world.calls['ds_b#switch-replication']).toBe(2);
    expect(world.calls['ds_a#shutdown-vms']).toBe(1);
    const audit = await history(h.redis, h.control.store.keys, run.id);
    expect(audit.filter((a) => a.type === 'step-failed')).toHaveLength(1);
    expect(audit.find((a) => a.type === 'command-retry')).toMatchObject({
      user: 'carol',
      planHash: run.planHash,
    });
  });

  it('stops starting steps in other units when the run stops on failure', async () => {
    h.startEngine();
    await h.redis.set(worldKeys(h.prefix).fail('ds_a#unmount-datastore'), 'UNMOUNT_BUSY');
    const run = await h.start(twoUnits(1), { stopOnFailure: true });
    const done = await h.waitFor(run.id, ended);
    expect(done.status).toBe('failed');
    expect(done.units.ds_a?.status).toBe('failed');
    expect(done.units.ds_b?.status).toBe('cancelled');
    expect(done.units.ds_b?.steps.every((s) => s.state === 'pending')).toBe(true);
    expect(done.haltedBy).toContain('ds_a');
  });

  it('pauses after the current step, holds, and resumes where it stopped', async () => {
    const { run, release } = await runHeldInUnmount();
    await h.control.pause(run.id, 'alice');
    await release();
    const paused = await h.waitFor(run.id, (r) => r.units.ds_a?.status === 'paused' && r.status === 'paused');
    expect(paused.units.ds_a?.steps.map((s) => s.state)).toEqual(['done', 'done', 'pending', 'pending']);
    expect(paused.units.ds_b?.steps.every((s) => s.state === 'pending')).toBe(true);
    const state = await getRunState(h.control.store, run.id);
    expect(state.status).toBe('paused');
    expect(state.percent).toBe(25);

    await h.control.resume(run.id, 'alice');
    const done = await h.waitFor(run.id, ended);
    expect(done.status).toBe('succeeded');
    const world = await worldRecord(h.redis, h.prefix, run.id);
    expect(Object.values(world.effects).every((n) => n === 1)).toBe(true);
    expect(Object.keys(world.effects)).toHaveLength(8);
    const types = (await history(h.redis, h.control.store.keys, run.id)).map((a) => a.type);
    expect(types).toContain('command-pause');
    expect(types).toContain('command-resume');
  });

  it('cancels after the current step and reports what is where', async () => {
    const { run, release } = await runHeldInUnmount();
    await h.control.cancel(run.id, 'bob');
    await release();
    const done = await h.waitFor(run.id, ended);
    expect(done.status).toBe('cancelled');
    // The step in hand finished; nothing after it started.
    expect(done.units.ds_a?.steps.map((s) => s.state)).toEqual(['done', 'done', 'pending', 'pending']);
    expect(done.units.ds_a?.status).toBe('cancelled');
    expect(done.units.ds_b?.status).toBe('cancelled');
    const report = buildRunReport(done, await h.control.store.plan(run.id));
    expect(report.notMoved).toEqual(['ds_a', 'ds_b']);
    const md = renderRunReportMarkdown(report);
    expect(md).toContain(`# Run ${run.id}: migrate site5 → lognes — cancelled`);
    expect(md).toContain('| 2 | unmount-datastore | done | 1 |');
    // The lock is released right after the run is marked cancelled (never before: a new run must
    // not start while this one still counts as active), so give the release its moment.
    await expect.poll(() => h.redis.exists(h.control.store.keys.siteLock('site5'))).toBe(0);
    const cancel = (await history(h.redis, h.control.store.keys, run.id)).find(
      (a) => a.type === 'command-cancel',
    );
    expect(cancel?.user).toBe('bob');
  });

  it('cancels a paused run without running anything more', async () => {
    h.startEngine();
    const w = worldKeys(h.prefix);
    const blocked = w.block('ds_a#shutdown-vms', 'after');
    await h.redis.set(blocked, '1');
    const run = await h.start(twoUnits(1));
    await h.waitForKey(w.entered('ds_a#shutdown-vms', 'after'));
    await h.control.pause(run.id, 'alice');
    await h.redis.del(blocked);
    await h.waitFor(run.id, (r) => r.status === 'paused' && r.units.ds_a?.status === 'paused');
    await h.control.cancel(run.id, 'alice');
    const done = await h.waitFor(run.id, ended);
    expect(done.status).toBe('cancelled');
    expect(done.units.ds_a?.steps.map((s) => s.state)).toEqual(['done', 'pending', 'pending', 'pending']);
    expect(done.units.ds_b?.status).toBe('cancelled');
    expect((await worldRecord(h.redis, h.prefix, run.id)).log).toEqual([
      'start ds_a#shutdown-vms',
      'end ds_a#shutdown-vms',
    ]);
    const err = await refusal(h.control.resume(run.id, 'alice'));
    expect(err.code).toBe('RUN_STATE');
  });

  it('skips a failed step with a reason and a second approver, then carries on', async () => {
    h.startEngine();
    await h.redis.set(worldKeys(h.prefix).fail('ds_a#mount-datastore'), 'MOUNT_FAILED');
    const run = await h.start(testPlan({ units: [{ id: 'ds_a', steps: COLD_STEPS }] }));
    await h.waitFor(run.id, ended);
    const self = await refusal(
      h.control.skip(run.id, {
        unitId: 'ds_a',
        step: 3,
        user: 'alice',
        reason: 'mounted by hand',
        approvedBy: 'alice',
      }),
    );
    expect(self.code).toBe('APPROVAL_SELF');
    await h.control.skip(run.id, {
      unitId: 'ds_a',
      step: 3,
      user: 'alice',
      reason: 'mounted by hand',
      approvedBy: 'bob',
    });
    await h.control.retry(run.id, 'alice');
    const done = await h.waitFor(run.id, (r) => ended(r) && r.generation === 1);
    expect(done.status).toBe('succeeded');
    expect(done.units.ds_a?.steps[3]).toMatchObject({ state: 'skipped', skipReason: 'mounted by hand' });
    const skip = (await history(h.redis, h.control.store.keys, run.id)).find(
      (a) => a.type === 'command-skip',
    );
    expect(skip).toMatchObject({
      user: 'alice',
      details: { approvedBy: 'bob', reason: 'mounted by hand', step: 3 },
    });
  });

  it('refuses an overlapping run, naming the run that holds the sites', async () => {
    const first = await h.control.submit({ plan: twoUnits(), requestedBy: 'alice' });
    const err = await refusal(h.control.submit({ plan: twoUnits(), requestedBy: 'dave' }));
    expect(err.code).toBe('RUN_LOCKED');
    expect(err.details).toEqual({ runId: first.id, requestedBy: 'alice' });
    expect(err.hint).toContain(`bascule status ${first.id}`);
    expect(await activeRuns(h.control.store)).toEqual([
      { runId: first.id, sites: ['site5', 'lognes'], units: ['ds_a', 'ds_b'], requestedBy: 'alice' },
    ]);
    const self = await refusal(h.control.approve(first.id, 'alice'));
    expect(self.code).toBe('APPROVAL_SELF');
    await h.control.cancel(first.id, 'alice');
    expect(await activeRuns(h.control.store)).toEqual([]);
    const second = await h.control.submit({ plan: twoUnits(), requestedBy: 'dave' });
    expect(second.status).toBe('awaiting-approval');
  });

  it('refuses to start when a fresh preflight gives another plan hash', async () => {
    const changed = testPlan({ units: [{ id: 'ds_a', steps: COLD_STEPS }], salt: 'hot' });
    h.startEngine({ replan: async () => changed });
    const run = await h.start(testPlan({ units: [{ id: 'ds_a', steps: COLD_STEPS }] }));
    const done = await h.waitFor(run.id, ended);
    expect(done.status).toBe('failed');
    expect(done.error?.code).toBe('PLAN_CHANGED');
    expect(done.error?.message).toContain('mode');
    expect((await worldRecord(h.redis, h.prefix, run.id)).log).toEqual([]);
    expect((await history(h.redis, h.control.store.keys, run.id)).map((a) => a.type)).toContain(
      'run-refused',
    );
  });
});
