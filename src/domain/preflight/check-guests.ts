import type { CdromBacking, InventoryVm } from '../inventory.js';
import type { ProtectedUnit } from '../replication.js';
import { diskDatastoreIds } from '../units.js';
import { type CheckContext, stopsVms } from './context.js';
import { finding } from './finding.js';
import type { Finding } from './types.js';

// Rule 5: the guests. A clean shutdown needs VMware Tools; without them the VM is powered off after
// the timeout (or, with --no-force-off, the run stops, so preflight blocks now rather than at 6 a.m.).
// A CD-ROM on an ISO the destination cannot see leaves the VM asking a question at power-on
// (or makes vMotion fail), so a connected one blocks.

export function checkGuests(ctx: CheckContext): Finding[] {
  const findings: Finding[] = [];
  const { kind, forceOff } = ctx.input.request;
  const { movingVms } = ctx.scope;
  for (let i = 0; i < movingVms.length; i++) {
    const vm = movingVms[i]!;
    const owner = ctx.scope.movingOwners[i];
    if (!owner) continue;
    if (kind !== 'failover' && vm.connectionState !== 'connected') findings.push(notConnected(vm));
    if (stopsVms(kind, owner) && vm.powerState === 'poweredOn' && !vm.toolsRunning) {
      findings.push(
        finding(
          'VM_TOOLS_NOT_RUNNING',
          forceOff ? 'warn' : 'block',
          forceOff
            ? `${vm.name} has no VMware Tools running: no clean shutdown, it will be powered off after the timeout.`
            : `${vm.name} has no VMware Tools running and --no-force-off is set: the run would stop at its shutdown.`,
          { vms: [vm.name], units: [owner.id] },
          `Start VMware Tools in ${vm.name}, or shut it down by hand before the move${forceOff ? '' : ', or allow the power-off'}.`,
        ),
      );
    }
    if (vm.hasSnapshots) {
      findings.push(
        finding(
          'VM_HAS_SNAPSHOT',
          'warn',
          `${vm.name} has snapshots: they move with it, but their delta disks keep growing and slow the move.`,
          { vms: [vm.name] },
          `Delete or consolidate the snapshots of ${vm.name} if nobody needs them.`,
        ),
      );
    }
    for (const cd of vm.cdroms) {
      const f = unreachableIso(ctx, vm, owner, cd);
      if (f) findings.push(f);
    }
  }
  return findings;
}

function notConnected(vm: InventoryVm): Finding {
  const fix =
    vm.connectionState === 'orphaned'
      ? `Remove ${vm.name} from the inventory and register its vmx again (or delete it if obsolete).`
      : vm.connectionState === 'disconnected'
        ? `Reconnect the host of ${vm.name}.`
        : `Check the files of ${vm.name} on its datastore (${vm.vmxPath}).`;
  return finding(
    'VM_NOT_CONNECTED',
    'block',
    `${vm.name} is ${vm.connectionState}: vCenter cannot shut it down, unregister or move it.`,
    { vms: [vm.name] },
    fix,
  );
}

function unreachableIso(
  ctx: CheckContext,
  vm: InventoryVm,
  owner: ProtectedUnit,
  cd: CdromBacking,
): Finding | null {
  if (cd.datastore === null || diskDatastoreIds(vm, ctx.idx).includes(cd.datastore)) return null;
  if (reachableAfterMove(ctx, owner, cd.datastore)) return null;
  const dsName = ctx.idx.datastore.get(cd.datastore)?.name ?? cd.datastore;
  const blocks = cd.connected && ctx.input.request.kind !== 'failover';
  const f = finding(
    'CDROM_ISO_NOT_REPLICATED',
    blocks ? 'block' : 'warn',
    `${vm.name} has a CD-ROM on ${cd.path}${cd.connected ? '' : ' (not connected)'}; ${dsName} will not be reachable at ${ctx.input.request.to}.`,
    { vms: [vm.name], datastores: [dsName] },
    `Disconnect the CD-ROM of ${vm.name} (or point it at an ISO on a replicated datastore).`,
  );
  f.actions = [{ kind: 'disconnect-cdrom', vm: vm.name }];
  return f;
}

function reachableAfterMove(ctx: CheckContext, owner: ProtectedUnit, dsId: string): boolean {
  const isoUnit = ctx.unitIdx.byDatastoreId.get(dsId);
  const moving = isoUnit !== undefined && ctx.scope.movingIds.has(isoUnit.id);
  // A cold move brings the ISO along only when its datastore stops in the same group.
  if (moving && owner.method === 'storwize' && ctx.stopRoot.get(isoUnit.id) === ctx.stopRoot.get(owner.id))
    return true;
  return !moving && ctx.destinationMounts.has(dsId);
}
