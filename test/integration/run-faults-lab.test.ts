import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Plan, StepKind } from '../../src/domain/plan/types.js';
import type { RunRecord } from '../../src/jobs/run/index.js';
import {
  createFaultRuns,
  ended,
  expectUnitOn,
  type FaultRuns,
  type OwnRedis,
  other,
  planFor,
  rcName,
  type Site,
  startOwnRedis,
  stepState,
  vmsOn,
} from '../support/fault-lab.js';
import type { LabVmState, StepHarness } from '../support/step-harness.js';
import { startStepHarness } from '../support/step-harness.js';

// Issue 7's faults on the REAL lab (vcsim over HTTPS, Storwize arrays over SSH), the engine running
// the real step executors in worker child processes (fault-lab-worker-entry.ts): a worker SIGKILLed
// mid-migration, Redis killed and restarted mid-run, vCenter sessions expired mid-step, an SSH
// connection cut under the replication switch. Every run must end succeeded with the unit wholly on
// the target site, read back from vcsim's /lab/state and the array stand-in. One lab serves the
// file: each run moves the cold unit to the other site, so the next run moves it back.

const unit = 'SAN-SITE5-PROD-02';
let lab: StepHarness;
let runs: FaultRuns | undefined;
let ownRedis: OwnRedis | undefined;

beforeAll(async () => {
  lab = await startStepHarness({ timeScale: 0.02 });
});
afterEach(async () => {
  // Faults armed for a test that failed early must not leak into the next one.
  lab.lab.handles?.storwize.control.setCommandDelay(0);
  await runs?.cleanup();
  runs = undefined;
  await ownRedis?.cleanup();
  ownRedis = undefined;
});
afterAll(async () => {
  await lab?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hold = (method: string, ms: number) => lab.control('/faults', { kind: 'delay', method, ms, count: 1 });

interface Move {
  from: Site;
  to: Site;
  moving: LabVmState[];
  plan: Plan;
}

/** Where the unit is now (all its VMs on one site, powered on) and the plan moving it across. */
async function nextMove(r: FaultRuns): Promise<Move> {
  const moving = vmsOn(await lab.state(), unit).filter((v) => v.registered);
  expect(moving.length).toBeGreaterThan(1);
  const from = moving[0]?.site as Site;
  expect(moving.every((v) => v.site === from && v.powerState === 'poweredOn')).toBe(true);
  return { from, to: other(from), moving, plan: await planFor(lab, r, unit, from) };
}

function expectSucceeded(done: RunRecord, plan: Plan): void {
  expect(done.error).toBeNull();
  expect(done.status).toBe('succeeded');
  const steps = done.units[unit]?.steps ?? [];
  expect(steps.map((s) => s.kind)).toEqual(plan.groups[0]?.steps.map((s) => s.kind));
  expect(steps.every((s) => s.state === 'done')).toBe(true);
}

/** The array verb of the unit's switch: its consistency group's when it has one. */
const switchVerb = () =>
  lab.lab.handles?.storwize.control.relationship(rcName(unit)).consistencyGroup
    ? 'switchrcconsistgrp'
    : 'switchrcrelationship';
const switchCommands = () =>
  (lab.lab.handles?.storwize.control.commands() ?? []).filter((c) => c.verb === switchVerb());

describe('worker SIGKILLed during a cold migration on the lab', () => {
  interface KillPoint {
    what: string;
    /** The step running (or the last one done, at a boundary) when the worker dies. */
    step: StepKind;
    boundary?: boolean;
    /** Before the run: a fault that keeps the step busy long enough to be killed inside it. */
    arm?(): Promise<void>;
    /** Arms the fault once this earlier step is done instead (it would slow the replan too). */
    armAfter?: StepKind;
    disarm?(): void;
    /** Kill once this holds (polled) rather than 300 ms into the step. */
    killWhen?(): boolean;
    /** The unit's switch commands that had completed on the array when the worker died. */
    switchedAtKill: number;
  }
  const storwize = () => lab.lab.handles?.storwize.control;
  // Every array command waits 1 s from the end of shutdown-vms: the next array commands are the
  // switch step's (a read, the switch, reads until in sync), each held long enough to kill in.
  const holdArray = {
    armAfter: 'shutdown-vms' as const,
    arm: async () => storwize()?.setCommandDelay(1000),
    disarm: () => storwize()?.setCommandDelay(0),
  };
  let switchesAtStart = 0;
  const switchedSinceStart = () =>
    switchCommands()
      .slice(switchesAtStart)
      .filter((c) => c.outcome === 0);
  const points: KillPoint[] = [
    {
      what: 'in shutdown-vms (a ShutdownGuest call held by vCenter)',
      step: 'shutdown-vms',
      arm: () => hold('ShutdownGuest', 1500).then(() => undefined),
      switchedAtKill: 0,
    },
    {
      what: "right after unmount-datastore's done checkpoint (array commands held)",
      step: 'unmount-datastore',
      boundary: true,
      ...holdArray,
      switchedAtKill: 0,
    },
    {
      what: 'in switch-replication before the switch reached the array',
      step: 'switch-replication',
      ...holdArray,
      switchedAtKill: 0,
    },
    {
      what: 'in switch-replication after the array switched, before the step was checkpointed',
      step: 'switch-replication',
      ...holdArray,
      killWhen: () => switchedSinceStart().length > 0,
      switchedAtKill: 1,
    },
    {
      what: 'in register-vms (a RegisterVM_Task held by vCenter)',
      step: 'register-vms',
      arm: () => hold('RegisterVM_Task', 1500).then(() => undefined),
      switchedAtKill: 1,
    },
  ];

  for (const point of points) {
    it(`a new worker finishes the run when the first is killed ${point.what}`, async () => {
      const r = createFaultRuns(lab);
      runs = r;
      const move = await nextMove(r);
      switchesAtStart = switchCommands().length;
      const first = r.startWorker();
      if (!point.armAfter) await point.arm?.();
      const run = await r.start(move.plan);
      if (point.armAfter) {
        const after = point.armAfter;
        await r.waitFor(run.id, (x) => stepState(x, unit, after) === 'done' || ended(x), after);
        await point.arm?.();
      }
      const wanted = point.boundary ? 'done' : 'running';
      await r.waitFor(run.id, (x) => stepState(x, unit, point.step) === wanted || ended(x), point.step);
      if (point.killWhen) {
        const deadline = Date.now() + 15_000;
        while (!point.killWhen()) {
          if (Date.now() > deadline) throw new Error(`kill condition of "${point.what}" never met`);
          await sleep(5);
        }
      } else if (!point.boundary) {
        // Inside a step: let it get into the held call before the kill.
        await sleep(300);
      }
      await r.kill(first);
      point.disarm?.();
      const atKill = await r.control.store.require(run.id);
      expect(switchedSinceStart()).toHaveLength(point.switchedAtKill);
      expect(atKill.status).toBe('running');
      expect(stepState(atKill, unit, point.step)).toBe(wanted);
      const kinds = atKill.units[unit]?.steps.map((s) => s.kind) ?? [];
      const index = kinds.indexOf(point.step);

      r.startWorker();
      const done = await r.waitFor(run.id, ended, 'end of the run');
      expectSucceeded(done, move.plan);
      const steps = done.units[unit]?.steps ?? [];
      // Steps done before the kill were not run again; the killed one was, once.
      for (const s of steps.slice(0, point.boundary ? index + 1 : index)) expect(s.attempts, s.kind).toBe(1);
      if (!point.boundary) expect(steps[index]?.attempts).toBe(2);
      expect(steps.every((s) => s.attempts <= 2)).toBe(true);
      await expectUnitOn(lab, unit, move.to, move.moving);
      // At most one switch per run reached the array (a resumed switch reads before it acts).
      expect(switchCommands().length - switchesAtStart).toBe(1);
    });
  }
});

describe('other faults on the lab', () => {
  it('completes a run whose Redis is SIGKILLed and restarted mid-step', async () => {
    ownRedis = await startOwnRedis();
    const r = createFaultRuns(lab, ownRedis.url);
    runs = r;
    const move = await nextMove(r);
    r.startWorker();
    await hold('RegisterVM_Task', 1500);
    const run = await r.start(move.plan);
    await r.waitFor(run.id, (x) => stepState(x, unit, 'register-vms') === 'running' || ended(x), 'register');
    await ownRedis.stop('SIGKILL');
    await sleep(700);
    await ownRedis.start();
    // The append-only file brought the run back as it was: approved, running, mid-register.
    const restarted = await r.control.store.require(run.id);
    expect(restarted.status).toBe('running');
    expect(['running', 'done']).toContain(stepState(restarted, unit, 'register-vms'));
    const done = await r.waitFor(run.id, ended, 'end of the run');
    expectSucceeded(done, move.plan);
    await expectUnitOn(lab, unit, move.to, move.moving);
  });

  it('re-logs in transparently when vCenter expires every session mid-step', async () => {
    const r = createFaultRuns(lab);
    runs = r;
    const move = await nextMove(r);
    // A clean slate first (sessions of workers killed earlier in the file, the harness's own), so
    // the expiry mid-step ends exactly one session: the worker's.
    await lab.control('/faults', { kind: 'expire-sessions' });
    r.startWorker();
    await hold('RegisterVM_Task', 1000);
    const run = await r.start(move.plan);
    await r.waitFor(run.id, (x) => stepState(x, unit, 'register-vms') === 'running' || ended(x), 'register');
    const expired = (await lab.control('/faults', { kind: 'expire-sessions' })) as { expired: number };
    expect(expired.expired).toBe(1);
    expect(stepState(await r.control.store.require(run.id), unit, 'register-vms')).toBe('running');
    const done = await r.waitFor(run.id, ended, 'end of the run');
    expectSucceeded(done, move.plan);
    // Transparent: no step had to be retried by the engine.
    expect(done.units[unit]?.steps.map((s) => [s.kind, s.attempts])).toEqual(
      move.plan.groups[0]?.steps.map((s) => [s.kind, 1]),
    );
    await expectUnitOn(lab, unit, move.to, move.moving);
  });

  it('does not switch twice when the SSH connection drops right after the switch ran', async () => {
    const r = createFaultRuns(lab);
    runs = r;
    const move = await nextMove(r);
    const before = switchCommands().length;
    lab.lab.handles?.storwize.control.dropConnections(1, { verb: switchVerb(), when: 'after' });
    r.startWorker();
    const run = await r.start(move.plan);
    const done = await r.waitFor(run.id, ended, 'end of the run');
    expectSucceeded(done, move.plan);
    expect(
      switchCommands()
        .slice(before)
        .map((c) => c.outcome),
    ).toEqual(['dropped']);
    await expectUnitOn(lab, unit, move.to, move.moving);
  });
});
