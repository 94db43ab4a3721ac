import type { InventoryDatastore, InventoryIndex, InventoryVm } from '../inventory.js';
import type { ProtectedUnit, ReplicationMethod, ReplicationStatus } from '../replication.js';
import type { SiteMap } from '../site-map.js';
import { type UnitIndex, vmsOfUnit, vmxDatastoreName } from '../units.js';
import { finding } from './finding.js';
import type { Finding, MoveMode, PreflightInput } from './types.js';

// Which units and VMs a request moves. For a migrate or failover: the units running at `from`
// (home there, or primary there after an earlier move). For a failback: the units whose home is
// `to`, which are expected to be primary at `from`. A unit already primary at the destination is
// skipped, so re-running a half-finished move does only what is left.

export interface ScopedUnit {
  unit: ProtectedUnit;
  status: ReplicationStatus | undefined;
  datastores: InventoryDatastore[];
  missingDatastores: string[];
  /** Every VM with a disk on the unit, wherever it runs. */
  vms: InventoryVm[];
  moving: boolean;
}

export interface MoveScope {
  selected: ScopedUnit[];
  moving: ScopedUnit[];
  movingIds: Set<string>;
  /** VMs to move (not already at the destination). */
  movingVms: InventoryVm[];
  /** The unit each of movingVms moves with, at the same index: the checks loop over thousands. */
  movingOwners: Array<ProtectedUnit | undefined>;
  /** Moving VM id → the unit it moves with: the unit of its vmx, else its first moving unit. */
  owner: Map<string, string>;
  /** Unit id → the moving VMs it owns. */
  byOwner: Map<string, InventoryVm[]>;
  atDestination: InventoryVm[];
  findings: Finding[];
}

const methodOfMode: Record<MoveMode, ReplicationMethod> = {
  cold: 'storwize',
  hot: 'live-volume',
  zerto: 'zerto',
};

export function buildScope(
  input: PreflightInput,
  idx: InventoryIndex,
  unitIdx: UnitIndex,
  sites: SiteMap,
): MoveScope {
  const { request, replication } = input;
  const findings: Finding[] = [];
  // A failover test is Zerto's: array replication has nothing like it.
  const method =
    request.kind === 'test-failover'
      ? 'zerto'
      : request.mode === undefined
        ? undefined
        : methodOfMode[request.mode];
  const onSite = (u: ProtectedUnit) =>
    request.kind === 'failback'
      ? u.homeSite === request.to
      : u.homeSite === request.from || replication.get(u.id)?.primarySite === request.from;
  const fits = (u: ProtectedUnit) => onSite(u) && (method === undefined || u.method === method);
  const wanted = requestedUnits(input, unitIdx, fits, findings);

  const selected: ScopedUnit[] = [];
  for (const unit of input.units) {
    if (!fits(unit) || (wanted !== null && !wanted.has(unit.id))) continue;
    const status = replication.get(unit.id);
    const datastores: InventoryDatastore[] = [];
    const missingDatastores: string[] = [];
    for (const name of unit.datastores) {
      const ds = idx.datastoreByName.get(name);
      if (ds) datastores.push(ds);
      else missingDatastores.push(name);
    }
    const moving = status?.primarySite !== request.to;
    if (!moving) {
      findings.push(
        finding(
          'UNIT_ALREADY_MOVED',
          'info',
          `${unit.id} is already primary at ${request.to}; skipped.`,
          { units: [unit.id] },
          null,
        ),
      );
    }
    selected.push({ unit, status, datastores, missingDatastores, vms: vmsOfUnit(unit, idx), moving });
  }
  const moving = selected.filter((s) => s.moving);
  const movingIds = new Set(moving.map((s) => s.unit.id));
  const { movingVms, movingOwners, owner, atDestination } = splitVms(
    moving,
    movingIds,
    unitIdx,
    sites,
    request.to,
  );
  const byOwner = new Map<string, InventoryVm[]>();
  for (let i = 0; i < movingVms.length; i++) {
    const vm = movingVms[i]!;
    const id = owner.get(vm.id) ?? '';
    const list = byOwner.get(id);
    if (list) list.push(vm);
    else byOwner.set(id, [vm]);
  }
  for (const vm of atDestination) {
    findings.push(
      finding(
        'VM_ALREADY_AT_DESTINATION',
        'info',
        `${vm.name} already runs at ${request.to}; skipped.`,
        { vms: [vm.name] },
        null,
      ),
    );
  }
  if (moving.length === 0 && wanted === null) {
    const what = method === undefined ? 'protected unit' : `${method} unit`;
    findings.push(
      finding(
        'NOTHING_TO_MOVE',
        'info',
        `No ${what} to move from ${request.from} to ${request.to}.`,
        {},
        null,
      ),
    );
  }
  return { selected, moving, movingIds, movingVms, movingOwners, owner, byOwner, atDestination, findings };
}

/** The units named by `--datastores`, or null when the request does not limit them. */
function requestedUnits(
  input: PreflightInput,
  unitIdx: UnitIndex,
  fits: (u: ProtectedUnit) => boolean,
  findings: Finding[],
): Set<string> | null {
  const names = input.request.datastores;
  if (names === undefined || names.length === 0) return null;
  const wanted = new Set<string>();
  for (const name of names) {
    const unit = unitIdx.byId.get(name) ?? unitIdx.byDatastoreName.get(name);
    if (!unit) {
      findings.push(
        finding(
          'REQUEST_UNKNOWN_DATASTORE',
          'block',
          `${name} is not a protected datastore or VPG in the topology.`,
          { datastores: [name] },
          'Check the name against `bascule status`; only datastores listed under protection in sites.yaml can move.',
        ),
      );
    } else if (!fits(unit)) {
      const { request } = input;
      const where =
        request.kind === 'failback' ? `whose home is ${request.to}` : `running at ${request.from}`;
      const kind = request.mode === undefined ? 'units' : `${request.mode} units`;
      findings.push(
        finding(
          'REQUEST_UNIT_EXCLUDED',
          'block',
          `${name} (${unit.method}, home ${unit.homeSite}) is not among the ${kind} ${where}.`,
          { units: [unit.id] },
          'Drop it from --datastores, or change --mode or the direction of the move.',
        ),
      );
    } else {
      wanted.add(unit.id);
    }
  }
  return wanted;
}

function splitVms(
  moving: ScopedUnit[],
  movingIds: Set<string>,
  unitIdx: UnitIndex,
  sites: SiteMap,
  to: string,
): Pick<MoveScope, 'movingVms' | 'movingOwners' | 'owner' | 'atDestination'> {
  const owner = new Map<string, string>();
  const movingVms: InventoryVm[] = [];
  const movingOwners: Array<ProtectedUnit | undefined> = [];
  const atDestination: InventoryVm[] = [];
  // A VM on two moving units is listed by both: `owner` already says which moving VMs were seen,
  // so only the few already at the destination need a set of their own.
  const arrived = new Set<string>();
  for (const s of moving) {
    for (let i = 0; i < s.vms.length; i++) {
      const vm = s.vms[i]!;
      if (owner.has(vm.id) || arrived.has(vm.id)) continue;
      if (vm.host !== null && sites.siteOfHost.get(vm.host) === to) {
        arrived.add(vm.id);
        atDestination.push(vm);
        continue;
      }
      const vmxName = vmxDatastoreName(vm.vmxPath);
      const vmxUnit = vmxName === null ? undefined : unitIdx.byDatastoreName.get(vmxName);
      const ownerId = vmxUnit && movingIds.has(vmxUnit.id) ? vmxUnit.id : s.unit.id;
      owner.set(vm.id, ownerId);
      movingVms.push(vm);
      movingOwners.push(unitIdx.byId.get(ownerId));
    }
  }
  const byName = (a: InventoryVm, b: InventoryVm) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return { movingVms, movingOwners, owner, atDestination: atDestination.sort(byName) };
}
