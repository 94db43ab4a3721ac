import { setTimeout as sleep } from 'node:timers/promises';
import type { InventoryVm } from '../../domain/inventory.js';
import type { PowerOnGroup } from '../../domain/plan/types.js';
import { StepError, throwIfAborted } from './errors.js';
import type { StepContext, StepExecutor } from './types.js';
import {
  datacenterOf,
  hostName,
  plural,
  readWorld,
  requireOneVm,
  siteOfVm,
  vmScope,
  type World,
} from './world.js';

// Boots the moved VMs group by group (directory and databases before the applications that need
// them). Each group is one PowerOnMultiVM call so DRS places it under the cluster rules; VMs already
// on are skipped. Before the next group starts, the step waits for the VMware Tools heartbeat of
// the group's `waitForTools` VMs: "powered on" only means the BIOS started.

/** How long a group's guests get to report Tools before the step fails, by default. */
export const defaultToolsWaitTimeoutMs = 10 * 60_000;
const toolsPollMaxMs = 5_000;

export interface PowerOnOptions {
  toolsWaitTimeoutMs?: number;
}

export function createPowerOnVms(options: PowerOnOptions = {}): StepExecutor<'power-on-vms'> {
  const timeoutMs = options.toolsWaitTimeoutMs ?? defaultToolsWaitTimeoutMs;
  return (step, ctx) => powerOnVms(step, ctx, timeoutMs);
}

async function powerOnVms(
  step: Parameters<StepExecutor<'power-on-vms'>>[0],
  ctx: StepContext,
  toolsWaitTimeoutMs: number,
) {
  const total = step.groups.reduce((n, g) => n + g.vms.length, 0);
  let alreadyOn = 0;
  let started = 0;
  for (const [gi, group] of step.groups.entries()) {
    throwIfAborted(ctx.signal, `powering on group ${group.name}`);
    const world = await readWorld(ctx, vmScope(group.vms));
    const vms = group.vms.map((v) => pick(world, v.name, v.host));
    const off = vms.filter((v) => v.powerState !== 'poweredOn');
    alreadyOn += vms.length - off.length;
    const [first] = off;
    if (first) {
      ctx.progress({
        percent: Math.round(((alreadyOn + started) / Math.max(1, total)) * 100),
        message: `powering on ${group.name}: ${plural(off.length, 'VM')}`,
      });
      const dc = datacenterOf(world, ctx, siteOfVm(world, first));
      await ctx.vsphere.powerOnMany(
        dc.id,
        off.map((v) => v.id),
        { signal: ctx.signal },
      );
      started += off.length;
    }
    // Waiting matters only when another group follows; the last group is checked by verify.
    if (gi < step.groups.length - 1 && group.waitForTools.length > 0) {
      await waitForTools(ctx, group, toolsWaitTimeoutMs);
    }
  }
  ctx.progress({ percent: 100, message: `${total}/${total} VMs powered on` });
  return {
    summary: `${plural(started, 'VM')} powered on in ${plural(step.groups.length, 'group')}, ${alreadyOn} already on`,
    details: { started, alreadyOn, groups: step.groups.map((g) => g.name) },
  };
}

async function waitForTools(
  ctx: StepContext,
  group: PowerOnGroup,
  toolsWaitTimeoutMs: number,
): Promise<void> {
  const until = Date.now() + toolsWaitTimeoutMs;
  let delay = 200;
  for (;;) {
    throwIfAborted(ctx.signal, `waiting for VMware Tools in ${group.name}`);
    const world = await readWorld(ctx, vmScope(group.waitForTools.map((name) => ({ name }))));
    const silent = group.waitForTools.filter((name) => {
      const entries = world.byName.get(name) ?? [];
      return !entries.some((vm) => vm.powerState === 'poweredOn' && vm.toolsRunning);
    });
    if (silent.length === 0) return;
    if (Date.now() >= until) {
      throw new StepError(
        'STEP_TOOLS_TIMEOUT',
        `VMware Tools did not answer in ${silent.join(', ')} within ${Math.round(toolsWaitTimeoutMs / 1000)} s of power-on (group ${group.name})`,
        {
          // The guests may only be slow (fsck, updates): waiting again is safe, nothing is redone.
          retryable: true,
          hint: `Open the console of ${silent.join(', ')}: once the guest is up (or known to run without Tools), resume the run.`,
          details: { group: group.name, vms: silent },
        },
      );
    }
    ctx.progress({ percent: null, message: `waiting for VMware Tools in ${silent.join(', ')}` });
    try {
      await sleep(delay, undefined, { signal: ctx.signal });
    } catch {
      throwIfAborted(ctx.signal, `waiting for VMware Tools in ${group.name}`);
    }
    delay = Math.min(delay * 2, toolsPollMaxMs);
  }
}

/**
 * The entry to power on. After a failover the lost site's entry may still be registered (its
 * unregister was best effort): the one on the planned host, or the only connected one, is ours.
 */
function pick(world: World, name: string, host: string | null): InventoryVm {
  const all = world.byName.get(name) ?? [];
  if (all.length > 1) {
    const onHost = all.filter((v) => host !== null && hostName(world, v.host) === host);
    const connected = all.filter((v) => v.connectionState === 'connected');
    const [only] = onHost.length === 1 ? onHost : connected.length === 1 ? connected : [];
    if (only) return only;
  }
  return requireOneVm(world, name);
}
