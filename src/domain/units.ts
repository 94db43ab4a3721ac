import type { InventoryIndex, InventoryVm } from './inventory.js';
import type { ProtectedUnit, ReplicationMethod } from './replication.js';

// How VMs map to protected units. A VM belongs to every unit holding one of its disks; a CD-ROM ISO
// does not make it a member (vCenter lists the ISO's datastore among the VM's datastores, but
// moving the ISO library along with every VM that mounted a CD would be absurd).

export interface UnitIndex {
  byId: Map<string, ProtectedUnit>;
  byDatastoreName: Map<string, ProtectedUnit>;
  byDatastoreId: Map<string, ProtectedUnit>;
  /** Position in the topology's protection list: the operator's order, used to sort plans. */
  order: Map<string, number>;
}

export function buildUnitIndex(units: readonly ProtectedUnit[], idx: InventoryIndex): UnitIndex {
  const unitIdx: UnitIndex = {
    byId: new Map(),
    byDatastoreName: new Map(),
    byDatastoreId: new Map(),
    order: new Map(),
  };
  units.forEach((unit, i) => {
    unitIdx.byId.set(unit.id, unit);
    unitIdx.order.set(unit.id, i);
    for (const name of unit.datastores) {
      unitIdx.byDatastoreName.set(name, unit);
      const ds = idx.datastoreByName.get(name);
      if (ds) unitIdx.byDatastoreId.set(ds.id, unit);
    }
  });
  return unitIdx;
}

/** `[SAN-01] web/web.vmx` → `SAN-01`. */
export function vmxDatastoreName(vmxPath: string): string | null {
  // What /^\[([^\]]+)\]/ captures, without a match array per VM.
  if (vmxPath.charCodeAt(0) !== 91 /* [ */) return null;
  const end = vmxPath.indexOf(']', 1);
  return end > 1 ? vmxPath.slice(1, end) : null;
}

/** Datastore ids holding the VM's disks or config: its datastores minus those only backing a CD. */
export function diskDatastoreIds(vm: InventoryVm, idx: InventoryIndex): string[] {
  if (vm.cdroms.length === 0) return vm.datastores;
  const iso = new Set<string>();
  for (const cd of vm.cdroms) if (cd.datastore) iso.add(cd.datastore);
  if (iso.size === 0) return vm.datastores;
  const vmxName = vmxDatastoreName(vm.vmxPath);
  const vmxId = vmxName === null ? undefined : idx.datastoreByName.get(vmxName)?.id;
  return vm.datastores.filter((d) => !iso.has(d) || d === vmxId);
}

/** VMs with a disk on one of the unit's datastores, in no particular order. */
export function vmsOfUnit(unit: ProtectedUnit, idx: InventoryIndex): InventoryVm[] {
  // Most units are one datastore: no VM can then be seen twice.
  const seen = unit.datastores.length > 1 ? new Set<string>() : null;
  const vms: InventoryVm[] = [];
  for (const name of unit.datastores) {
    const ds = idx.datastoreByName.get(name);
    if (!ds) continue;
    const onDatastore = idx.vmsByDatastore.get(ds.id);
    if (onDatastore === undefined) continue;
    for (let i = 0; i < onDatastore.length; i++) {
      const vm = onDatastore[i]!;
      if (seen?.has(vm.id)) continue;
      if (vm.cdroms.length > 0 && !diskDatastoreIds(vm, idx).includes(ds.id)) continue;
      seen?.add(vm.id);
      vms.push(vm);
    }
  }
  return vms;
}

export function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Stop groups: units that must stop together because a VM has disks on both (cold and Zerto moves
 * stop whole units). Live Volume units never stop, so they are never joined. Returns unit id → id of
 * the group's first unit in topology order, so the same world always yields the same group ids.
 */
export function stopGroupRoots(
  units: readonly ProtectedUnit[],
  idx: InventoryIndex,
  unitIdx: UnitIndex,
): Map<string, string> {
  const parent = new Map<string, string>(units.map((u) => [u.id, u.id]));
  const order = (id: string) => unitIdx.order.get(id) ?? Number.MAX_SAFE_INTEGER;
  const find = (id: string): string => {
    let root = id;
    while (parent.get(root) !== root) root = parent.get(root) ?? root;
    let cur = id;
    while (cur !== root) {
      const next = parent.get(cur) ?? root;
      parent.set(cur, root);
      cur = next;
    }
    return root;
  };
  const union = (a: string, b: string) => {
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) return;
    if (order(ra) <= order(rb)) parent.set(rb, ra);
    else parent.set(ra, rb);
  };
  // Each union keeps the root first in topology order, so the roots do not depend on the order the
  // VMs come in: only the VMs on several datastores are visited, not all 5,000.
  for (const vm of idx.multiDatastoreVms) {
    const firstOfMethod = new Map<ReplicationMethod, string>();
    for (const dsId of diskDatastoreIds(vm, idx)) {
      const unit = unitIdx.byDatastoreId.get(dsId);
      if (!unit || unit.method === 'live-volume') continue;
      const first = firstOfMethod.get(unit.method);
      if (first === undefined) firstOfMethod.set(unit.method, unit.id);
      else union(first, unit.id);
    }
  }
  return new Map(units.map((u) => [u.id, find(u.id)]));
}
