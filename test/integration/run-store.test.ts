import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { markStepDone, markStepRunning, recordProgress } from '../../src/jobs/run/checkpoints.js';
import { readEvents } from '../../src/jobs/run/index.js';
import { releaseSlot, tryAcquireSlot, waitForRelease } from '../../src/jobs/run/slots.js';
import { createRunHarness, type RunHarness } from '../support/run-harness.js';
import { COLD_STEPS, testPlan } from '../support/run-plans.js';

// The run store against a real Redis: a run is a header plus one document per unit, so units
// checkpoint without rewriting (or colliding with) each other, while a whole-run change still
// sees one consistent run and retries when any part of it moved under it.

let h: RunHarness;
beforeEach(async () => {
  h = await createRunHarness();
});
afterEach(async () => {
  await h.cleanup();
});

const units = ['ds_a', 'ds_b', 'ds_c', 'ds_d'];

async function createRun() {
  const plan = testPlan({ units: units.map((id) => ({ id, steps: COLD_STEPS })) });
  return h.control.store.create({ plan, requestedBy: 'alice' });
}

describe('run store', () => {
  it('lands concurrent checkpoints of different units, each event stamped in write order', async () => {
    const store = h.control.store;
    const run = await createRun();
    const writes: Promise<unknown>[] = [];
    for (const unitId of units) {
      writes.push(
        (async () => {
          await markStepRunning(store, run.id, unitId, 0);
          for (let p = 1; p <= 10; p++) {
            await recordProgress(store, run.id, unitId, 0, { percent: p * 10, message: `${p}/10` });
          }
          await markStepDone(store, run.id, unitId, 0, { summary: 'done' });
        })(),
      );
    }
    await Promise.all(writes);

    const after = await store.require(run.id);
    for (const unitId of units) {
      const step = after.units[unitId]?.steps[0];
      expect(step?.state).toBe('done');
      expect(step?.attempts).toBe(1);
      expect(step?.progress?.percent).toBe(100);
    }
    // One write to create the run, then 12 per unit, none lost to a collision.
    expect(after.version).toBe(1 + units.length * 12);
    const { events } = await readEvents(h.redis, store.keys, run.id, '0', 0);
    const versions = events.flatMap((e) => ('version' in e ? [e.version] : []));
    expect(versions).toHaveLength(1 + units.length * 12);
    for (let i = 1; i < versions.length; i++) expect(versions[i]).toBeGreaterThan(versions[i - 1] as number);
    expect(versions.at(-1)).toBe(after.version);
  });

  it('re-applies a whole-run change when a unit moved between its read and its write', async () => {
    const store = h.control.store;
    const run = await createRun();
    let calls = 0;
    const { run: updated } = await store.update(run.id, (r) => {
      calls++;
      if (calls === 1) {
        // Another writer checkpoints ds_b after this read: its two commands go out on the store's
        // connection before the compare-and-set does, so they land first, as a race would.
        const b = structuredClone(r.units.ds_b);
        if (b?.steps[0]) b.steps[0].state = 'running';
        void store.redis.hset(store.keys.runUnits(run.id), 'ds_b', JSON.stringify(b));
        void store.redis.hincrby(store.keys.runUnitVersions(run.id), 'ds_b', 1);
      }
      const b = r.units.ds_b?.steps[0]?.state;
      r.haltedBy = `saw ds_b ${b}`;
      return {};
    });
    expect(calls).toBe(2);
    expect(updated.haltedBy).toBe('saw ds_b running');
    const stored = await store.require(run.id);
    expect(stored.haltedBy).toBe('saw ds_b running');
    expect(stored.units.ds_b?.steps[0]?.state).toBe('running');
    expect(stored.version).toBe(updated.version);
  });

  it('reads one unit with the run, and the status alone, without the other units', async () => {
    const store = h.control.store;
    const run = await createRun();
    await markStepRunning(store, run.id, 'ds_c', 0);
    const view = await store.unitView(run.id, 'ds_c');
    expect(Object.keys(view.units)).toEqual(['ds_c']);
    expect(view.units.ds_c?.steps[0]?.state).toBe('running');
    expect(view.unitOrder).toEqual(units);
    expect(view.version).toBe(2);
    expect(await store.status(run.id)).toBe('awaiting-approval');
    await expect(store.unitView(run.id, 'nope')).resolves.toMatchObject({ units: {} });
    await expect(store.updateUnit(run.id, 'nope', () => null)).rejects.toMatchObject({
      code: 'RUN_UNIT_UNKNOWN',
    });
    await expect(store.status('r-000000')).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
  });

  it('hands a slot over within the worker: a release wakes the unit waiting for it', async () => {
    const key = `${h.prefix}:run:r-slots:slots`;
    const slot = (holder: string) => ({
      key,
      holder,
      jobId: `job-${holder}`,
      leaseMs: 60_000,
      max: 1,
      conflicts: [],
    });
    expect(await tryAcquireSlot(h.redis, slot('ds_a'))).toBe(true);
    expect(await tryAcquireSlot(h.redis, slot('ds_b'))).toBe(false);
    // The poll interval is an hour: only the release can end this wait before the race's 5 s.
    const waited = waitForRelease(key, 3_600_000).then(() => 'woken');
    await releaseSlot(h.redis, key, 'ds_a', 'job-ds_a');
    const first = await Promise.race([waited, new Promise((r) => setTimeout(() => r('not woken'), 5_000))]);
    expect(first).toBe('woken');
    expect(await tryAcquireSlot(h.redis, slot('ds_b'))).toBe(true);
  });

  it('reads a run stored by an earlier Bascule as one document and moves its units out on first write', async () => {
    const store = h.control.store;
    const created = await createRun();
    // The earlier layout: the whole run, units inside, in the run's key, its version beside it.
    const legacy = { ...created, version: 7 };
    for (const key of [
      store.keys.runUnits(created.id),
      store.keys.runUnitVersions(created.id),
      store.keys.runSeq(created.id),
    ]) {
      await h.redis.del(key);
    }
    await h.redis.set(store.keys.run(created.id), JSON.stringify(legacy));
    await h.redis.set(store.keys.runVersion(created.id), '7');

    const read = await store.require(created.id);
    expect(Object.keys(read.units)).toEqual(units);
    expect(read.version).toBe(7);
    // A unit job's first checkpoint after the upgrade.
    await markStepRunning(store, created.id, 'ds_b', 0);
    const after = await store.require(created.id);
    expect(Object.keys(after.units)).toEqual(units);
    expect(after.units.ds_b?.steps[0]?.state).toBe('running');
    expect(after.units.ds_a?.steps[0]?.state).toBe('pending');
    // The version goes on from the document's: one write to move the units, one checkpoint.
    expect(after.version).toBe(9);
    expect(await h.redis.hlen(store.keys.runUnits(created.id))).toBe(units.length);
    const header = JSON.parse((await h.redis.get(store.keys.run(created.id))) ?? '{}') as Record<
      string,
      unknown
    >;
    expect(header.units).toBeUndefined();
  });
});
