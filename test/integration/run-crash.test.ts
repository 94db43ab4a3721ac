import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { history } from '../../src/jobs/run/index.js';
import { createRunHarness, ended, type RunHarness } from '../support/run-harness.js';
import { COLD_STEPS, testPlan } from '../support/run-plans.js';
import { repoRoot } from '../support/spawn-bascule.js';
import { type Gate, worldKeys, worldRecord } from '../support/world-executors.js';

// Crash-resume: the engine runs in a child process that is SIGKILLed at a chosen point of a step;
// another worker process takes the stalled jobs over, and the run completes with every step's
// effect applied exactly once (the killed step is called again, and is idempotent).

let h: RunHarness;
const children: ChildProcess[] = [];

beforeEach(async () => {
  h = await createRunHarness();
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await h.cleanup();
});

function startWorker(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/run-worker-entry.ts'], {
    cwd: repoRoot,
    env: { ...process.env, BASCULE_TEST_PREFIX: h.prefix },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

const plan = () =>
  testPlan({
    maxParallelUnits: 2,
    units: [
      { id: 'ds_a', steps: COLD_STEPS },
      { id: 'ds_b', steps: COLD_STEPS },
    ],
  });

describe('crash resume', () => {
  const points: Array<{ step: string; gate: Gate; what: string }> = [
    { step: 'ds_a#switch-replication', gate: 'before', what: 'mid-step, before its effect' },
    { step: 'ds_a#unmount-datastore', gate: 'after', what: 'after the effect, before the done checkpoint' },
    { step: 'ds_b#shutdown-vms', gate: 'before', what: 'in the first step of a unit' },
  ];
  for (const point of points) {
    it(`resumes a run whose worker was SIGKILLed ${point.what}`, async () => {
      const w = worldKeys(h.prefix);
      await h.redis.set(w.block(point.step, point.gate), '1');
      const first = startWorker();
      const run = await h.start(plan());
      await h.waitForKey(w.entered(point.step, point.gate));
      await kill(first);
      const [unit, kind] = point.step.split('#') as [string, string];
      const atCrash = await h.control.store.require(run.id);
      const crashed = atCrash.units[unit]?.steps.find((s) => s.kind === kind);
      expect(crashed?.state).toBe('running');

      await h.redis.del(w.block(point.step, point.gate));
      startWorker();
      const done = await h.waitFor(run.id, ended);
      expect(done.status).toBe('succeeded');

      const world = await worldRecord(h.redis, h.prefix, run.id);
      for (const u of ['ds_a', 'ds_b'])
        for (const k of COLD_STEPS) expect(world.effects[`${u}#${k}`]).toBe(1);
      expect(world.calls[point.step]).toBe(2);
      const after = done.units[unit]?.steps.find((s) => s.kind === kind);
      expect(after).toMatchObject({ state: 'done', attempts: 2 });
      // Steps done before the crash were not called again.
      const index = COLD_STEPS.indexOf(kind as (typeof COLD_STEPS)[number]);
      for (const k of COLD_STEPS.slice(0, index)) expect(world.calls[`${unit}#${k}`]).toBe(1);
      const starts = (await history(h.redis, h.control.store.keys, run.id)).filter(
        (a) => a.type === 'step-start' && a.details.unit === unit && a.details.kind === kind,
      );
      expect(starts.map((a) => a.details.resumed)).toEqual([false, true]);
    });
  }

  it('lets a worker already running take over the jobs of one SIGKILLed beside it', async () => {
    const w = worldKeys(h.prefix);
    const step = 'ds_b#switch-replication';
    await h.redis.set(w.block(step, 'before'), '1');
    const workers = [startWorker(), startWorker()];
    const run = await h.start(plan());
    await h.waitForKey(w.entered(step, 'before'));
    const holder = Number(await h.redis.get(w.entered(step, 'before')));
    const victim = workers.find((c) => c.pid === holder);
    if (!victim) throw new Error(`no child worker has pid ${holder}`);
    await kill(victim);
    await h.redis.del(w.block(step, 'before'));
    const done = await h.waitFor(run.id, ended);
    expect(done.status).toBe('succeeded');
    const world = await worldRecord(h.redis, h.prefix, run.id);
    expect(Object.values(world.effects)).toEqual(Array(8).fill(1));
    expect(world.calls[step]).toBe(2);
  });

  it('resumes after two crashes in a row on the same step', async () => {
    const w = worldKeys(h.prefix);
    const step = 'ds_b#mount-datastore';
    await h.redis.set(w.block(step, 'before'), '1');
    const first = startWorker();
    const run = await h.start(plan());
    await h.waitForKey(w.entered(step, 'before'));
    await kill(first);
    await h.redis.del(w.entered(step, 'before'));
    const second = startWorker();
    await h.waitForKey(w.entered(step, 'before'));
    await kill(second);
    await h.redis.del(w.block(step, 'before'));
    startWorker();
    const done = await h.waitFor(run.id, ended);
    expect(done.status).toBe('succeeded');
    const world = await worldRecord(h.redis, h.prefix, run.id);
    expect(world.calls[step]).toBe(3);
    expect(Object.values(world.effects)).toEqual(Array(8).fill(1));
  });
});
