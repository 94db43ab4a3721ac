import type { InventoryDatastore, InventoryVm } from '../inventory.js';
import type { ProtectedUnit } from '../replication.js';
import { byName, diskDatastoreIds, vmxDatastoreName } from '../units.js';
import { type CheckContext, currentSite, ownerUnit, stopsVms, vmSizeBytes } from './context.js';
import { finding, gb } from './finding.js';
import { getOrInit } from './maps.js';
import type { Finding, FixAction } from './types.js';

// Rule 1: two members of a redundancy group must not stop together. A cold move stops a whole stop
// group (a datastore, or datastores joined by a VM spanning them), a Zerto move a whole VPG. When
// two powered-on members share one, the fix is to Storage-vMotion all but one of them to another
// protected datastore of the same site and method whose stop group holds no member of their groups.

interface Candidate {
  unit: ProtectedUnit;
  datastore: InventoryDatastore;
  freeBytes: number;
  moving: boolean;
}

/** What the suggestions so far have changed: groups now present per stop group, space now taken. */
interface Reservations {
  groupsInRoot: Map<string, Set<number>>;
  usedBytes: Map<string, number>;
}

export function checkRedundancy(ctx: CheckContext): Finding[] {
  // Hundreds of groups, nearly all with one member per stop group: only the shared ones are
  // sorted, and the reservations are worked out only when there is something to fix.
  const shared: Array<{ groupIndex: number; root: string; members: InventoryVm[] }> = [];
  for (const [groupIndex, byRoot] of stoppingMembers(ctx)) {
    for (const [root, members] of byRoot) {
      if (members.length >= 2) shared.push({ groupIndex, root, members });
    }
  }
  if (shared.length === 0) return [];
  shared.sort((a, b) => a.groupIndex - b.groupIndex || (a.root < b.root ? -1 : 1));
  const reservations: Reservations = { groupsInRoot: groupsPerStopGroup(ctx), usedBytes: new Map() };
  return shared.map((s) => violation(ctx, s.groupIndex, s.root, s.members.sort(byName), reservations));
}

/** Redundancy group → stop group → its powered-on members that this move stops. */
function stoppingMembers(ctx: CheckContext): Map<number, Map<string, InventoryVm[]>> {
  const out = new Map<number, Map<string, InventoryVm[]>>();
  const { movingVms, movingOwners } = ctx.scope;
  for (let i = 0; i < movingVms.length; i++) {
    const vm = movingVms[i]!;
    if (vm.powerState !== 'poweredOn') continue;
    const groups = ctx.redundancy.groupsOfVm.get(vm.id);
    const unit = movingOwners[i];
    if (!groups || !unit || !stopsVms(ctx.input.request.kind, unit)) continue;
    const root = ctx.stopRoot.get(unit.id) ?? unit.id;
    for (const g of groups) {
      let byRoot = out.get(g);
      if (byRoot === undefined) {
        byRoot = new Map<string, InventoryVm[]>();
        out.set(g, byRoot);
      }
      const members = byRoot.get(root);
      if (members === undefined) byRoot.set(root, [vm]);
      else members.push(vm);
    }
  }
  return out;
}

/** Stop group → redundancy groups with a member on it (any power state, any site). */
function groupsPerStopGroup(ctx: CheckContext): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const [vmId, groups] of ctx.redundancy.groupsOfVm) {
    const vm = ctx.idx.vm.get(vmId);
    if (!vm) continue;
    for (const dsId of diskDatastoreIds(vm, ctx.idx)) {
      const unit = ctx.unitIdx.byDatastoreId.get(dsId);
      if (!unit) continue;
      const root = ctx.stopRoot.get(unit.id) ?? unit.id;
      const set = getOrInit(out, root, () => new Set<number>());
      for (const g of groups) set.add(g);
    }
  }
  return out;
}

function violation(
  ctx: CheckContext,
  groupIndex: number,
  root: string,
  members: InventoryVm[],
  r: Reservations,
): Finding {
  const group = ctx.redundancy.groups[groupIndex];
  const label = group ? group.labels.join(', ') : `group ${groupIndex}`;
  const units = [...ctx.unitIdx.byId.values()].filter(
    (u) => ctx.stopRoot.get(u.id) === root && ctx.scope.movingIds.has(u.id),
  );
  const what = units[0]?.method === 'zerto' ? 'the Zerto move stops VPG' : 'the cold move stops';
  const where = units.map((u) => u.id).join(' + ');
  const names = members.map((m) => m.name);
  const fixes: string[] = [];
  const actions: FixAction[] = [];
  for (const vm of members.slice(1)) {
    const from = sourceDatastore(ctx, vm);
    const best = pickCandidate(ctx, vm, root, r);
    if (!best) {
      fixes.push(
        `No other ${units[0]?.method ?? ''} datastore at ${ctx.input.request.from} can take ${vm.name} without joining a peer: add one, or move ${vm.name} to a Live Volume (hot) datastore.`,
      );
      continue;
    }
    reserve(ctx, vm, best, r);
    const note = best.moving ? '' : ` (${best.unit.id} is not in this move: add it to --datastores)`;
    fixes.push(
      `Storage-vMotion ${vm.name} from ${from} to ${best.datastore.name} (${gb(best.freeBytes)} free)${note}.`,
    );
    actions.push({
      kind: 'storage-vmotion',
      vm: vm.name,
      fromDatastore: from,
      toDatastore: best.datastore.name,
    });
  }
  const f = finding(
    'REDUNDANCY_SAME_STOP_GROUP',
    'block',
    `${names.join(' and ')} back each other up (${label}) but ${what} ${where} as one: all would be down together.`,
    { vms: names, units: units.map((u) => u.id), datastores: units.flatMap((u) => u.datastores) },
    `${fixes.join(' ')} Then run preflight again.`,
  );
  if (actions.length > 0) f.actions = actions;
  return f;
}

function sourceDatastore(ctx: CheckContext, vm: InventoryVm): string {
  const vmx = vmxDatastoreName(vm.vmxPath);
  if (vmx !== null) return vmx;
  const first = diskDatastoreIds(vm, ctx.idx)[0];
  return first === undefined ? '?' : (ctx.idx.datastore.get(first)?.name ?? first);
}

function pickCandidate(ctx: CheckContext, vm: InventoryVm, root: string, r: Reservations): Candidate | null {
  const owner = ownerUnit(ctx, vm);
  if (!owner) return null;
  const site = ctx.input.request.from;
  const groups = ctx.redundancy.groupsOfVm.get(vm.id) ?? [];
  const size = vmSizeBytes(ctx, vm);
  const headroom = ctx.input.topology.capacity.headroomPercent / 100;
  const options: Candidate[] = [];
  for (const unit of ctx.input.units) {
    const unitRoot = ctx.stopRoot.get(unit.id) ?? unit.id;
    if (unit.method !== owner.method || unitRoot === root || currentSite(ctx, unit) !== site) continue;
    const present = r.groupsInRoot.get(unitRoot);
    if (present && groups.some((g) => present.has(g))) continue;
    for (const name of unit.datastores) {
      const ds = ctx.idx.datastoreByName.get(name);
      // Storage vMotion keeps the VM on its host, so the target must be mounted there.
      if (!ds?.accessible || (vm.host !== null && !ds.hosts.includes(vm.host))) continue;
      const free = ds.freeBytes - (r.usedBytes.get(ds.id) ?? 0);
      if (free - size < ds.capacityBytes * headroom) continue;
      options.push({ unit, datastore: ds, freeBytes: free, moving: ctx.scope.movingIds.has(unit.id) });
    }
  }
  const order = (u: ProtectedUnit) => ctx.unitIdx.order.get(u.id) ?? 0;
  options.sort(
    (a, b) =>
      Number(b.moving) - Number(a.moving) || b.freeBytes - a.freeBytes || order(a.unit) - order(b.unit),
  );
  return options[0] ?? null;
}

function reserve(ctx: CheckContext, vm: InventoryVm, c: Candidate, r: Reservations): void {
  const root = ctx.stopRoot.get(c.unit.id) ?? c.unit.id;
  const set = getOrInit(r.groupsInRoot, root, () => new Set<number>());
  for (const g of ctx.redundancy.groupsOfVm.get(vm.id) ?? []) set.add(g);
  r.usedBytes.set(c.datastore.id, (r.usedBytes.get(c.datastore.id) ?? 0) + vmSizeBytes(ctx, vm));
}
