import { afterEach, describe, expect, it } from 'vitest';
import {
  createFaultRuns,
  ended,
  expectUnitOn,
  type FaultRuns,
  planFor,
  type Site,
  stepState,
  vmsOn,
} from '../support/fault-lab.js';
import { COLD_PLAN_STEPS } from '../support/run-plans.js';
import { type StepHarness, startStepHarness } from '../support/step-harness.js';

// Issue 7's loop over every kill point of a cold migration: for each step of the plan, a worker
// SIGKILLs itself at the step's two boundaries (BASCULE_TEST_KILL_AT in fault-lab-worker-entry.ts):
// `before` (the engine recorded the step running, nothing acted yet) and `after` (the step acted,
// the engine had not recorded it done). Each point starts from a fresh lab; a second worker must
// finish the run with the same end state as an undisturbed run, read back from the vCenter
// simulator and the Storwize stand-in, with no step before the kill run again and exactly one
// replication switch on the array. Kills inside steps (held vCenter calls, held array commands)
// are in run-faults-lab.test.ts.

const unit = 'SAN-SITE5-PROD-02';
const from: Site = 'site5';
const to: Site = 'lognes';
/** The cold plan's steps, in order; checked against the real plan so a new step is not missed. */
const coldSteps = COLD_PLAN_STEPS;

let lab: StepHarness | undefined;
let runs: FaultRuns | undefined;

afterEach(async () => {
  await runs?.cleanup();
  runs = undefined;
  await lab?.stop();
  lab = undefined;
});

const switches = (h: StepHarness) =>
  (h.lab.handles?.storwize.control.commands() ?? []).filter(
    (c) => /^switchrc/.test(c.verb) && c.outcome === 0,
  );

describe('worker SIGKILLed at every step boundary of a cold migration, each from a fresh lab', () => {
  for (const kind of coldSteps) {
    for (const when of ['before', 'after'] as const) {
      it(`${when} ${kind}: a new worker resumes and the unit ends on ${to}, once`, async () => {
        const h = await startStepHarness({ timeScale: 0.02 });
        lab = h;
        const r = createFaultRuns(h);
        runs = r;
        const moving = vmsOn(await h.state(), unit).filter((v) => v.registered);
        expect(moving.length).toBeGreaterThan(1);
        const plan = await planFor(h, r, unit, from);
        expect(plan.groups[0]?.steps.map((s) => s.kind)).toEqual(coldSteps);
        const index = coldSteps.indexOf(kind);

        const first = r.startWorker({ BASCULE_TEST_KILL_AT: `${kind}:${when}` });
        const exited = new Promise<NodeJS.Signals | null>((resolve) =>
          first.once('exit', (_c, sig) => resolve(sig)),
        );
        const run = await r.start(plan);
        expect(await exited).toBe('SIGKILL');
        const atKill = await r.control.store.require(run.id);
        expect(atKill.status).toBe('running');
        expect(stepState(atKill, unit, kind)).toBe('running');
        const switched =
          index > coldSteps.indexOf('switch-replication') ||
          (kind === 'switch-replication' && when === 'after');
        expect(switches(h)).toHaveLength(switched ? 1 : 0);

        r.startWorker();
        const done = await r.waitFor(run.id, ended, 'end of the run', 90_000);
        expect(done.error).toBeNull();
        expect(done.status).toBe('succeeded');
        const steps = done.units[unit]?.steps ?? [];
        expect(steps.map((s) => s.kind)).toEqual(coldSteps);
        expect(steps.every((s) => s.state === 'done')).toBe(true);
        // Before the kill: once. The killed step: twice (its second attempt read the state back).
        for (const s of steps.slice(0, index)) expect(s.attempts, s.kind).toBe(1);
        expect(steps[index]?.attempts).toBe(2);
        for (const s of steps.slice(index + 1)) expect(s.attempts, s.kind).toBe(1);
        await expectUnitOn(h, unit, to, moving);
        expect(switches(h)).toHaveLength(1);
      }, 180_000);
    }
  }
});
