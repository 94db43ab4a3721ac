import type { InventoryDatastore, InventoryIndex, InventoryVm } from '../inventory.js';
import type { ProtectedUnit, ReplicationMethod } from '../replication.js';
import type { BootMatcher } from './boot-order.js';
import type { StepEstimates } from './estimates.js';
import type { HostRef, MoveKind, UnitRef, VerifyStep, VmTarget } from './types.js';

// What every step builder reads: the group being moved and the move's context.

export interface GroupUnit {
  unit: ProtectedUnit;
  datastores: InventoryDatastore[];
  missingDatastores: string[];
}

export interface PlanGroupScope {
  id: string;
  method: ReplicationMethod;
  units: GroupUnit[];
  /** VMs the group moves, sorted by name. */
  vms: InventoryVm[];
  notConcurrentWith: string[];
}

export interface StepContext {
  kind: MoveKind;
  from: string;
  to: string;
  forceOff: boolean;
  shutdownTimeoutMs: number;
  vmotionsPerHost: number;
  idx: InventoryIndex;
  /** Usable hosts of the destination site. */
  destinationHosts: HostRef[];
  folder: string | null;
  targetOf(vm: InventoryVm): VmTarget | null;
  /** The unit a VM moves with (the unit of its vmx when it spans several). */
  ownerOf(vm: InventoryVm): string | undefined;
  estimates: StepEstimates;
  boot: readonly BootMatcher[];
}

export function unitRef(u: GroupUnit): UnitRef {
  return { id: u.unit.id, method: u.unit.method, array: u.unit.array, ref: u.unit.ref };
}

export function hostRef(idx: InventoryIndex, id: string): HostRef {
  return { id, name: idx.host.get(id)?.name ?? id };
}

export const isOn = (vm: InventoryVm) => vm.powerState === 'poweredOn';

export function verifyStep(g: PlanGroupScope, c: StepContext): VerifyStep {
  return {
    kind: 'verify',
    units: g.units.map(unitRef),
    toSite: c.to,
    vms: g.vms.map((v) => ({ name: v.name, powerState: v.powerState })),
    estimateMs: c.estimates.verifyMs,
  };
}
