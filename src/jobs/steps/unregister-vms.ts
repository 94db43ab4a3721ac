import type { InventoryVm } from '../../domain/inventory.js';
import { type ActionFailure, failuresError, StepError, throwIfAborted } from './errors.js';
import type { StepExecutor } from './types.js';
import { eachLimited, hostName, plural, readWorld, vmScope } from './world.js';

// Removes the source entries from vCenter (the files stay). A VM is recognised by its .vmx path
// and name in a fresh inventory, so an entry someone re-registered by hand (new moref) is still
// found, and a VM already gone is skipped. A running VM is never unregistered.

/** Entries removed at once (UnregisterVM is quick and synchronous). */
const parallelUnregistrations = 8;

export const unregisterVms: StepExecutor<'unregister-vms'> = async (step, ctx) => {
  const world = await readWorld(ctx, vmScope(step.vms));
  const entries: Array<{ name: string; vm: InventoryVm }> = [];
  for (const v of step.vms) {
    const sameFile = world.byVmx.get(v.vmxPath) ?? [];
    // Same file under another name: still our VM (renamed in vCenter); same name on another file
    // is another VM and is left alone.
    for (const vm of sameFile) entries.push({ name: v.name, vm });
  }
  const running = entries.filter((e) => e.vm.powerState === 'poweredOn');
  if (running.length > 0 && !step.bestEffort) {
    const names = running.map((e) => `${e.vm.name} on ${hostName(world, e.vm.host)}`);
    throw new StepError('STEP_VM_POWERED_ON', `cannot unregister running VMs: ${names.join(', ')}`, {
      retryable: false,
      hint: 'Something powered these VMs on after the shutdown step: shut them down, then resume the run.',
      details: { vms: running.map((e) => e.vm.name) },
    });
  }
  const total = step.vms.length;
  let done = total - new Set(entries.map((e) => e.name)).size;
  const failures: ActionFailure[] = [];
  ctx.progress({ percent: pct(done, total), message: `unregistering ${done}/${total} VMs` });
  // Entries are independent of each other (the adapter reads each one again and refuses a running
  // VM), so several go at once.
  const failed = await eachLimited(entries, parallelUnregistrations, async (e) => {
    throwIfAborted(ctx.signal, `unregistering ${e.vm.name}`);
    try {
      const out = await ctx.vsphere.unregister(e.vm.id, { signal: ctx.signal });
      ctx.log.info({ vm: e.vm.name, id: e.vm.id }, out.detail);
    } catch (err) {
      throwIfAborted(ctx.signal, `unregistering ${e.vm.name}`);
      // Failover: the entry belongs to a lost site and vCenter may refuse to touch it; the VM is
      // registered again from the replica, and the stale entry is cleaned up after the failback.
      if (!step.bestEffort) throw err;
      failures.push({ target: e.vm.name, error: err });
      ctx.log.warn({ vm: e.vm.name, err }, 'unregister failed; going on (best effort)');
      return;
    }
    done++;
    ctx.progress({ percent: pct(done, total), message: `unregistering ${done}/${total} VMs` });
  });
  throwIfAborted(ctx.signal, 'the remaining unregistrations');
  if (failed.length > 0) {
    throw failuresError(
      'unregistrations',
      failed.map((f) => ({ target: f.item.vm.name, error: f.error })),
      entries.length,
    );
  }
  // Read back: nothing of ours may remain registered, unless best effort allowed it.
  const after = await readWorld(ctx, vmScope(step.vms));
  const left = step.vms.filter((v) => (after.byVmx.get(v.vmxPath) ?? []).length > 0).map((v) => v.name);
  if (left.length > 0 && !step.bestEffort) {
    throw new StepError('STEP_STILL_REGISTERED', `still registered after UnregisterVM: ${left.join(', ')}`, {
      retryable: true,
      hint: 'Check these VMs in the vSphere client (a task may still be running), then resume the run.',
      details: { vms: left },
    });
  }
  const removed = entries.length - failures.length;
  return {
    summary:
      `${plural(removed, 'VM')} unregistered, ${total - new Set(entries.map((e) => e.name)).size} already gone` +
      (left.length > 0 ? `; ${left.length} left registered (best effort): ${left.join(', ')}` : ''),
    details: {
      unregistered: entries
        .filter((e) => !failures.some((f) => f.target === e.vm.name))
        .map((e) => e.vm.name),
      leftRegistered: left,
      ...(failures.length > 0 ? { failures: failures.map((f) => f.target) } : {}),
    },
  };
};

function pct(done: number, total: number): number {
  return total === 0 ? 100 : Math.round((done / total) * 100);
}
