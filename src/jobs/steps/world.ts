import type { InventoryScope } from '../../adapters/vsphere/index.js';
import { protectedUnits } from '../../config/topology.js';
import {
  type Inventory,
  type InventoryIndex,
  type InventoryVm,
  indexInventory,
} from '../../domain/inventory.js';
import type { UnitRef } from '../../domain/plan/types.js';
import type { ProtectedUnit } from '../../domain/replication.js';
import { buildSiteMap, type SiteMap } from '../../domain/site-map.js';
import { StepError, throwIfAborted } from './errors.js';
import type { StepContext } from './types.js';

// What executors read before and after acting: a fresh inventory, indexed once, with the site of
// every host. VMs are found by name and .vmx path, never by the plan's moref alone, because a
// VM registered again (by this run or by hand) gets a new moref.

export interface World {
  inventory: Inventory;
  idx: InventoryIndex;
  sites: SiteMap;
  /** Registered VMs by name; more than one when the same name is registered twice. */
  byName: Map<string, InventoryVm[]>;
  /** Registered VMs by `[datastore] dir/name.vmx`. */
  byVmx: Map<string, InventoryVm[]>;
}

/**
 * Reads the world. With a scope, only the VMs of those names or on those datastores are read
 * (VsphereClient.scopedInventory): every check the steps make is about such VMs, so the answer is
 * the same as a full read's for them, at a fraction of the cost on a site of thousands of VMs.
 */
export async function readWorld(ctx: StepContext, scope?: InventoryScope): Promise<World> {
  throwIfAborted(ctx.signal, 'reading vCenter');
  let inventory: Inventory;
  try {
    inventory =
      scope === undefined
        ? await ctx.inventory()
        : await ctx.vsphere.scopedInventory(scope, { signal: ctx.signal });
  } catch (err) {
    // Stopped mid-read: the step is resumable, like any stop between two actions.
    throwIfAborted(ctx.signal, 'reading vCenter');
    throw err;
  }
  const idx = indexInventory(inventory);
  const byName = new Map<string, InventoryVm[]>();
  const byVmx = new Map<string, InventoryVm[]>();
  for (const vm of inventory.vms) {
    push(byName, vm.name, vm);
    push(byVmx, vm.vmxPath, vm);
  }
  return { inventory, idx, sites: buildSiteMap(ctx.topology, idx), byName, byVmx };
}

/** `[SAN-01] dir/vm.vmx` → `SAN-01`. */
export function datastoreOfVmx(vmxPath: string): string | null {
  return /^\[([^\]]+)\]/.exec(vmxPath)?.[1] ?? null;
}

/** The scope of a step about these VMs: their names, and the datastores holding their .vmx. */
export function vmScope(vms: ReadonlyArray<{ name: string; vmxPath?: string }>): InventoryScope {
  const datastores = new Set<string>();
  for (const v of vms) {
    const ds = v.vmxPath === undefined ? null : datastoreOfVmx(v.vmxPath);
    if (ds !== null) datastores.add(ds);
  }
  return { vmNames: vms.map((v) => v.name), datastoreNames: [...datastores] };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export function siteOfVm(world: World, vm: InventoryVm): string | null {
  return vm.host === null ? null : (world.sites.siteOfHost.get(vm.host) ?? null);
}

export function hostName(world: World, id: string | null): string {
  if (id === null) return '(no host)';
  return world.idx.host.get(id)?.name ?? id;
}

/** The VM named in the plan: by name, and by id first when the name is registered twice. */
export function vmByName(world: World, name: string, id?: string): InventoryVm[] {
  const all = world.byName.get(name) ?? [];
  if (all.length <= 1 || id === undefined) return all;
  const exact = all.filter((v) => v.id === id);
  return exact.length === 1 ? exact : all;
}

/** Exactly one registered VM of that name, or a typed error saying what is wrong. */
export function requireOneVm(world: World, name: string, id?: string): InventoryVm {
  const found = vmByName(world, name, id);
  const [vm] = found;
  if (found.length === 1 && vm) return vm;
  if (found.length === 0) {
    throw new StepError('STEP_VM_NOT_FOUND', `VM ${name} is not registered in vCenter`, {
      retryable: false,
      hint: 'Find the VM in the vSphere client (renamed, removed, registered under another name?), fix it, then resume the run.',
      details: { vm: name },
    });
  }
  throw new StepError(
    'STEP_VM_REGISTERED_TWICE',
    `VM ${name} is registered ${found.length} times (${found.map((v) => `${v.id} on ${hostName(world, v.host)}`).join(', ')})`,
    {
      retryable: false,
      hint: 'Unregister the stale entry in the vSphere client (the one on the wrong site), then resume the run.',
      details: { vm: name, entries: found.map((v) => ({ id: v.id, host: hostName(world, v.host) })) },
    },
  );
}

/** The datacenter holding a site's clusters (one vCenter, possibly one datacenter for both sites). */
export function datacenterOf(world: World, ctx: StepContext, site: string | null, folder?: string | null) {
  const dcs = world.inventory.datacenters;
  const byFolder = folder ? dcs.find((d) => d.vmFolder === folder) : undefined;
  const name = ctx.topology.sites.find((s) => s.name === site)?.datacenter;
  const found = byFolder ?? dcs.find((d) => d.name === name) ?? (dcs.length === 1 ? dcs[0] : undefined);
  if (!found) {
    throw new StepError(
      'STEP_DATACENTER_UNKNOWN',
      `no datacenter for site ${site ?? '(unknown)'} in vCenter`,
      {
        retryable: false,
        hint: 'Check the datacenter names in sites.yaml against vCenter, then plan again.',
        details: { site, folder: folder ?? null },
      },
    );
  }
  return found;
}

/** The topology's unit behind a plan reference (the adapters need its sites and datastores). */
export function protectedUnit(ctx: StepContext, ref: UnitRef): ProtectedUnit {
  const unit = protectedUnits(ctx.topology).find((u) => u.id === ref.id);
  if (!unit) {
    throw new StepError('STEP_UNIT_UNKNOWN', `unit ${ref.id} is not in sites.yaml any more`, {
      retryable: false,
      hint: 'The configuration changed since the plan was approved: cancel this run and plan again.',
      details: { unit: ref.id },
    });
  }
  return unit;
}

/** Runs `work` over `items` with at most `limit` at once; every item runs even when some fail. */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<Array<{ item: T; error: unknown }>> {
  const failures: Array<{ item: T; error: unknown }> = [];
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      const item = items[i];
      if (i >= items.length || item === undefined) return;
      try {
        await work(item);
      } catch (error) {
        failures.push({ item, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return failures;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
