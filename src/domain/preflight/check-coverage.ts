import type { InventoryVm } from '../inventory.js';
import type { ProtectedUnit } from '../replication.js';
import { diskDatastoreIds } from '../units.js';
import { type CheckContext, currentSite } from './context.js';
import { finding } from './finding.js';
import type { Finding, Severity } from './types.js';

// Rule 3b: no VM is left half behind. Every disk of a moving VM must be on a unit that moves with
// it (or already sits at the destination). A disk on a datastore nobody replicates would stay at
// the source: the VM cannot start at the destination, so the unit holding its other disks blocks.

export function checkCoverage(ctx: CheckContext): Finding[] {
  const findings: Finding[] = [];
  // In a failover the source is gone: report, but never stop the recovery for one VM.
  const severity: Severity = ctx.input.request.kind === 'failover' ? 'warn' : 'block';
  const { movingVms } = ctx.scope;
  for (let i = 0; i < movingVms.length; i++) {
    const vm = movingVms[i]!;
    const owner = ctx.scope.movingOwners[i];
    if (!owner) continue;
    const unprotected: string[] = [];
    const mixed: ProtectedUnit[] = [];
    const left: ProtectedUnit[] = [];
    for (const dsId of diskDatastoreIds(vm, ctx.idx)) {
      const unit = ctx.unitIdx.byDatastoreId.get(dsId);
      if (!unit) unprotected.push(ctx.idx.datastore.get(dsId)?.name ?? dsId);
      else if (unit.method !== owner.method) mixed.push(unit);
      else if (!ctx.scope.movingIds.has(unit.id) && currentSite(ctx, unit) !== ctx.input.request.to)
        left.push(unit);
    }
    if (unprotected.length > 0) findings.push(unprotectedDisk(vm, owner, unprotected, severity));
    if (mixed.length > 0) findings.push(mixedMethods(vm, owner, mixed, severity));
    if (left.length > 0) findings.push(unitLeftBehind(ctx, vm, owner, left, severity));
  }
  return findings;
}

function unprotectedDisk(
  vm: InventoryVm,
  owner: ProtectedUnit,
  datastores: string[],
  severity: Severity,
): Finding {
  return finding(
    'DISK_NOT_REPLICATED',
    severity,
    `${vm.name} (moving with ${owner.id}) has disks on ${datastores.join(', ')}, which no unit replicates: they would stay behind.`,
    { vms: [vm.name], datastores: [...datastores, ...owner.datastores], units: [owner.id] },
    `Storage-vMotion the disks of ${vm.name} on ${datastores.join(', ')} to ${owner.datastores[0] ?? owner.id}, or detach them if they are scratch space.`,
  );
}

function mixedMethods(
  vm: InventoryVm,
  owner: ProtectedUnit,
  others: ProtectedUnit[],
  severity: Severity,
): Finding {
  const list = others.map((u) => `${u.id} (${u.method})`).join(', ');
  return finding(
    'VM_MIXED_METHODS',
    severity,
    `${vm.name} has disks on ${owner.id} (${owner.method}) and on ${list}: no one method moves all of them.`,
    { vms: [vm.name], units: [owner.id, ...others.map((u) => u.id)] },
    `Storage-vMotion all disks of ${vm.name} onto datastores of one method (e.g. ${owner.id}).`,
  );
}

function unitLeftBehind(
  ctx: CheckContext,
  vm: InventoryVm,
  owner: ProtectedUnit,
  others: ProtectedUnit[],
  severity: Severity,
): Finding {
  const ids = others.map((u) => u.id);
  const limited = (ctx.input.request.datastores?.length ?? 0) > 0;
  return finding(
    'SPANNING_UNIT_NOT_SELECTED',
    severity,
    `${vm.name} moves with ${owner.id} but also has disks on ${ids.join(', ')}, which this move leaves at ${ctx.input.request.from}.`,
    { vms: [vm.name], units: [owner.id, ...ids] },
    limited
      ? `Add ${ids.join(', ')} to --datastores (they stop together), or Storage-vMotion those disks onto ${owner.id}.`
      : `Storage-vMotion the disks of ${vm.name} on ${ids.join(', ')} onto ${owner.id}.`,
  );
}
