import type { ActionOptions } from '../../adapters/replication/types.js';
import { StepError, throwIfAborted } from './errors.js';
import type { StepContext, StepExecutor } from './types.js';
import { plural, protectedUnit, readWorld, siteOfVm, vmByName } from './world.js';

// Zerto's failover test: copies of the VPG's VMs start at the recovery site on the test network,
// from the replica, while production goes on running. Zerto names each copy after its VM with
// this suffix; Bascule checks them in vCenter, then stops the test with the result, which Zerto
// keeps in the VPG's test history (what auditors ask for after a DR exercise).

export const TEST_COPY_SUFFIX = ' - testing recovery';

function options(ctx: StepContext, what: string): ActionOptions {
  return {
    signal: ctx.signal,
    onProgress: (p) => ctx.progress({ percent: p.percent, message: `${what}: ${p.message}` }),
  };
}

/** Starts the test; a test already running (a resumed step) is the goal reached. */
export const zertoTestStart: StepExecutor<'zerto-test-start'> = async (step, ctx) => {
  throwIfAborted(ctx.signal, `starting the failover test of ${step.unit.id}`);
  const unit = protectedUnit(ctx, step.unit);
  const status = await ctx.replication
    .zerto(unit)
    .startFailoverTest(unit, options(ctx, `failover test of ${unit.id}`));
  return {
    summary: `${unit.id}: failover test started, ${plural(step.vms.length, 'VM')} copied at ${step.toSite} (${status.raw})`,
    details: { unit: unit.id, raw: status.raw },
  };
};

/**
 * Checks every copy runs at the destination, stops the test with that result (also when the check
 * failed: nothing stays on the test network), then fails the step if the check failed. A test no
 * longer running (stopped by a crashed attempt of this step, or by hand) is not stopped again.
 */
export const zertoTestStop: StepExecutor<'zerto-test-stop'> = async (step, ctx) => {
  throwIfAborted(ctx.signal, `checking the failover test of ${step.unit.id}`);
  const unit = protectedUnit(ctx, step.unit);
  const zerto = ctx.replication.zerto(unit);
  if (!(await zerto.failoverTestRunning(unit, { signal: ctx.signal }))) {
    return {
      summary: `${unit.id}: the failover test was already stopped; Zerto's test history holds its result`,
      details: { unit: unit.id, alreadyStopped: true },
    };
  }
  const world = await readWorld(ctx);
  const problems: string[] = [];
  for (const name of step.vms) {
    const copies = vmByName(world, `${name}${TEST_COPY_SUFFIX}`);
    const copy = copies[0];
    if (copy === undefined) problems.push(`${name}: no test copy in vCenter`);
    else if (siteOfVm(world, copy) !== step.toSite) {
      problems.push(`${name}: test copy on ${siteOfVm(world, copy) ?? 'no site'}, not ${step.toSite}`);
    } else if (copy.powerState !== 'poweredOn') problems.push(`${name}: test copy ${copy.powerState}`);
  }
  const ok = problems.length === 0;
  const result = ok
    ? `the test copies of ${plural(step.vms.length, 'VM')} ran at ${step.toSite}`
    : problems.join('; ');
  // Zerto keeps the summary in the VPG's test report; the run id ties it to Bascule's audit.
  const summary = `Bascule run ${ctx.runId}: ${result}`.slice(0, 1000);
  await zerto.stopFailoverTest(unit, ok, summary, options(ctx, `stopping the test of ${unit.id}`));
  if (!ok) {
    throw new StepError('STEP_TEST_FAILED', `${unit.id}: failover test failed and was stopped: ${result}`, {
      hint: 'Look at the VPG in Zerto (journal, recovery settings, test network), fix it and run the test again.',
      details: { unit: unit.id, problems },
    });
  }
  return {
    summary: `${unit.id}: ${result}; test stopped and recorded as passed`,
    details: { unit: unit.id },
  };
};
