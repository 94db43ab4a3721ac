import { VsphereError } from '../../adapters/vsphere/index.js';
import { failuresError, StepError, throwIfAborted } from './errors.js';
import type { StepExecutor } from './types.js';
import { eachLimited, plural, readWorld, requireOneVm, vmScope } from './world.js';

// Guests shut down in parallel (the plan's estimate assumes it), a few at a time so a site of
// hundreds of VMs does not flood vCenter. VMs already off are skipped: a resumed run only waits
// for the ones still up.

/** Guests shut down at once in one step (the bench's lower bound uses it too). */
export const parallelShutdowns = 8;

export const shutdownVms: StepExecutor<'shutdown-vms'> = async (step, ctx) => {
  const world = await readWorld(ctx, vmScope(step.vms));
  const vms = step.vms.map((v) => ({ plan: v, vm: requireOneVm(world, v.name, v.id) }));
  const todo = vms.filter((v) => v.vm.powerState !== 'poweredOff');
  // Refuse before touching anything: stopping half a group and then failing on a guest without
  // Tools would leave the service half down for nothing.
  const noTools = todo.filter((v) => v.vm.powerState === 'poweredOn' && !v.vm.toolsRunning);
  if (!step.forceOff && noTools.length > 0) {
    const names = noTools.map((v) => v.vm.name);
    throw new StepError(
      'STEP_TOOLS_NOT_RUNNING',
      `VMware Tools is not running in ${names.join(', ')} and forced power-off is not allowed`,
      {
        retryable: false,
        hint: 'Shut these guests down from inside (console or SSH), then resume the run; or plan again with forced power-off.',
        details: { vms: names },
      },
    );
  }
  const total = step.vms.length;
  let done = total - todo.length;
  const methods = { guest: 0, powerOff: 0, none: 0 };
  const report = () =>
    ctx.progress({
      percent: total === 0 ? 100 : Math.round((done / total) * 100),
      message: `shutting down ${done}/${total} VMs`,
    });
  report();
  const failures = await eachLimited(todo, parallelShutdowns, async ({ vm }) => {
    throwIfAborted(ctx.signal, `shutting down ${vm.name}`);
    try {
      const out = await ctx.vsphere.shutdownGuest(vm.id, {
        timeoutMs: step.timeoutMs,
        forceOffAfterTimeout: step.forceOff,
        signal: ctx.signal,
      });
      methods[out.method]++;
      ctx.log.info({ vm: vm.name, method: out.method }, out.detail);
    } catch (err) {
      if (!step.forceOff && err instanceof VsphereError && err.code === 'VSPHERE_TIMEOUT') {
        throw new StepError(
          'STEP_SHUTDOWN_TIMEOUT',
          `${vm.name} did not shut down within ${Math.round(step.timeoutMs / 1000)} s and forced power-off is not allowed`,
          {
            retryable: false,
            hint: `Check ${vm.name}'s console and shut it down by hand, then resume the run.`,
            details: { vm: vm.name, timeoutMs: step.timeoutMs },
            cause: err,
          },
        );
      }
      throw err;
    }
    done++;
    report();
  });
  throwIfAborted(ctx.signal, 'the remaining shutdowns');
  if (failures.length > 0) {
    throw failuresError(
      'shutdowns',
      failures.map((f) => ({ target: f.item.vm.name, error: f.error })),
      todo.length,
    );
  }
  const skipped = total - todo.length;
  const parts = [`${plural(total, 'VM')} off`];
  if (methods.guest > 0) parts.push(`${methods.guest} shut down cleanly`);
  if (methods.powerOff > 0) parts.push(`${methods.powerOff} powered off`);
  if (skipped + methods.none > 0) parts.push(`${skipped + methods.none} already off`);
  return {
    summary: parts.join(', '),
    details: { guest: methods.guest, poweredOff: methods.powerOff, alreadyOff: skipped + methods.none },
  };
};
