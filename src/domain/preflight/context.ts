import type { InventoryHost, InventoryIndex, InventoryVm } from '../inventory.js';
import type { ProtectedUnit } from '../replication.js';
import type { SiteMap } from '../site-map.js';
import { diskDatastoreIds, type UnitIndex } from '../units.js';
import type { RedundancyIndex } from './redundancy-groups.js';
import type { MoveScope } from './scope.js';
import type { PreflightInput } from './types.js';

/** Everything a check reads, computed once per preflight. */
export interface CheckContext {
  input: PreflightInput;
  idx: InventoryIndex;
  sites: SiteMap;
  unitIdx: UnitIndex;
  scope: MoveScope;
  /** Unit id → stop group id (see stopGroupRoots). */
  stopRoot: Map<string, string>;
  redundancy: RedundancyIndex;
  /** Connected destination hosts not in maintenance. */
  destinationHosts: InventoryHost[];
  /** Datastore ids mounted on at least one usable destination host. */
  destinationMounts: Set<string>;
  placement: Map<string, InventoryHost | null>;
  /** Host id → powered-on VMs registered there. */
  runningOn: Map<string, InventoryVm[]>;
}

/** The site a unit runs at now: its primary, or its home when the array does not say. */
export function currentSite(ctx: CheckContext, unit: ProtectedUnit): string {
  return ctx.input.replication.get(unit.id)?.primarySite ?? unit.homeSite;
}

export function ownerUnit(ctx: CheckContext, vm: InventoryVm): ProtectedUnit | undefined {
  const id = ctx.scope.owner.get(vm.id);
  return id === undefined ? undefined : ctx.unitIdx.byId.get(id);
}

/**
 * Cold and Zerto moves stop the VMs; a Live Volume move (vMotion) and a failover do not choose to,
 * and a failover test runs copies while the VMs go on running.
 */
export function stopsVms(kind: PreflightInput['request']['kind'], unit: ProtectedUnit): boolean {
  return kind !== 'failover' && kind !== 'test-failover' && unit.method !== 'live-volume';
}

/** Storage the VM occupies: its committed bytes when known, else its share of its datastores' used space. */
export function vmSizeBytes(ctx: CheckContext, vm: InventoryVm): number {
  const known = ctx.input.vmStats?.get(vm.id)?.committedBytes;
  if (known !== undefined) return known;
  let size = 0;
  for (const dsId of diskDatastoreIds(vm, ctx.idx)) {
    const ds = ctx.idx.datastore.get(dsId);
    const count = ctx.idx.vmsByDatastore.get(dsId)?.length ?? 1;
    if (ds) size += Math.max(0, ds.capacityBytes - ds.freeBytes) / Math.max(1, count);
  }
  return size;
}
