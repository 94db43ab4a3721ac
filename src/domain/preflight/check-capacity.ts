import type { InventoryCluster, InventoryHost, InventoryVm } from '../inventory.js';
import { hostUsable } from '../site-map.js';
import type { CheckContext } from './context.js';
import { finding, gb } from './finding.js';
import type {
  CapacityReport,
  ClusterCapacity,
  DatastoreCapacity,
  Finding,
  ResourceFigures,
} from './types.js';

// Rule 2: the destination must carry what already runs there plus what arrives, with the largest
// hosts held back for HA and a headroom kept free. Exactly at the limit passes: the limits already
// hold the margins. Only powered-on VMs count; a VM that arrives powered off stays off.

export function assessCapacity(ctx: CheckContext): { report: CapacityReport; findings: Finding[] } {
  const to = ctx.input.request.to;
  const clusters = (ctx.sites.clustersOfSite.get(to) ?? []).map((c) => clusterCapacity(ctx, c));
  const datastores = zertoRecoverySpace(ctx);
  const findings: Finding[] = [];
  for (const c of clusters) findings.push(...clusterFindings(c));
  for (const d of datastores.report) {
    if (d.ok) continue;
    findings.push(
      finding(
        'ZERTO_RECOVERY_SPACE',
        'block',
        `Recovery datastore ${d.datastore} has ${gb(d.freeBytes)} free; ${d.units.join(', ')} need ${gb(d.neededBytes)} (swap files) and the headroom keeps ${gb(d.reserveBytes)}.`,
        { datastores: [d.datastore], units: d.units },
        `Free space on ${d.datastore} or move fewer VPGs at once.`,
      ),
    );
  }
  findings.push(...datastores.findings);
  return { report: { site: to, clusters, datastores: datastores.report }, findings };
}

function emptyFigures(withMhz: boolean): ResourceFigures {
  return { vms: 0, vcpu: 0, memoryMb: 0, cpuMhz: withMhz ? 0 : null };
}

function addVm(f: ResourceFigures, vm: InventoryVm, ctx: CheckContext): void {
  f.vms++;
  f.vcpu += vm.numCpu;
  f.memoryMb += vm.memoryMb;
  if (f.cpuMhz !== null) f.cpuMhz += ctx.input.vmStats?.get(vm.id)?.cpuUsageMhz ?? 0;
}

/** The hosts HA keeps free: the largest, so losing any one host is covered. */
export function reservedHosts(usable: readonly InventoryHost[], count: number): InventoryHost[] {
  return [...usable]
    .sort((a, b) => b.memoryMb - a.memoryMb || b.cpuMhz - a.cpuMhz || (a.name < b.name ? -1 : 1))
    .slice(0, count);
}

function clusterCapacity(ctx: CheckContext, cluster: InventoryCluster): ClusterCapacity {
  const cap = ctx.input.topology.capacity;
  const hosts = cluster.hosts
    .map((id) => ctx.idx.host.get(id))
    .filter((h): h is InventoryHost => h !== undefined);
  const usable = hosts.filter(hostUsable);
  const haTolerated = cluster.haEnabled ? (cluster.haHostFailuresTolerated ?? 0) : 0;
  const reserved = reservedHosts(usable, Math.max(cap.haHostsReserved, haTolerated));
  const reservedIds = new Set(reserved.map((h) => h.id));
  const counted = usable.filter((h) => !reservedIds.has(h.id));
  const keep = (100 - cap.headroomPercent) / 100;
  const sum = (f: (h: InventoryHost) => number) => counted.reduce((s, h) => s + f(h), 0);
  const limits = {
    vcpu: sum((h) => h.cpuCores) * cap.maxVcpuPerCore,
    memoryMb: sum((h) => h.memoryMb) * keep,
    cpuMhz: sum((h) => h.cpuMhz) * keep,
  };
  const withMhz = ctx.input.vmStats !== undefined;
  const before = emptyFigures(withMhz);
  const hostIds = new Set(cluster.hosts);
  for (const id of cluster.hosts) for (const vm of ctx.runningOn.get(id) ?? []) addVm(before, vm, ctx);
  const after = { ...before };
  const { movingVms } = ctx.scope;
  for (let i = 0; i < movingVms.length; i++) {
    const vm = movingVms[i]!;
    const host = ctx.placement.get(vm.id);
    if (vm.powerState === 'poweredOn' && host && hostIds.has(host.id)) addVm(after, vm, ctx);
  }
  const over: ClusterCapacity['over'] = [];
  if (after.vcpu > limits.vcpu) over.push('vcpu');
  if (after.memoryMb > limits.memoryMb) over.push('memory');
  if (after.cpuMhz !== null && after.cpuMhz > limits.cpuMhz) over.push('cpu-mhz');
  return {
    cluster: cluster.name,
    site: ctx.sites.siteOfCluster.get(cluster.id) ?? '',
    hosts: hosts.length,
    usableHosts: usable.length,
    reservedHosts: reserved.map((h) => h.name).sort(),
    limits,
    before,
    after,
    over,
  };
}

function clusterFindings(c: ClusterCapacity): Finding[] {
  // An already overloaded cluster that receives nothing is not this move's problem.
  if (c.after.vms === c.before.vms || c.usableHosts === 0) return [];
  const basis = `${c.usableHosts} usable host(s), ${c.reservedHosts.length} held back for HA`;
  const fix = `Move fewer units to ${c.cluster} (--datastores), bring hosts back from maintenance, or power off non-essential VMs first.`;
  const out: Finding[] = [];
  const objects = { clusters: [c.cluster] };
  if (c.over.includes('vcpu')) {
    out.push(
      finding(
        'CAPACITY_VCPU',
        'block',
        `${c.cluster}: ${c.after.vcpu} vCPU after the move, limit ${c.limits.vcpu} (${basis}).`,
        objects,
        fix,
      ),
    );
  }
  if (c.over.includes('memory')) {
    const msg = `${c.cluster}: ${gbMb(c.after.memoryMb)} memory after the move, limit ${gbMb(c.limits.memoryMb)} (${basis}, headroom kept).`;
    out.push(finding('CAPACITY_MEMORY', 'block', msg, objects, fix));
  }
  if (c.over.includes('cpu-mhz')) {
    const msg = `${c.cluster}: ${Math.round(c.after.cpuMhz ?? 0)} MHz in use after the move, limit ${Math.round(c.limits.cpuMhz)} MHz (${basis}).`;
    out.push(finding('CAPACITY_CPU_MHZ', 'block', msg, objects, fix));
  }
  return out;
}

function gbMb(mb: number): string {
  return `${(mb / 1024).toFixed(1)} GB`;
}

/**
 * Zerto keeps the replica disks on the recovery datastore all along; what a move adds there is each
 * VM's swap file (its memory size) when it powers on. The recovery datastore is not in sites.yaml:
 * the caller reads it from the VPG settings. For a failback it is the unit's own datastore.
 */
function zertoRecoverySpace(ctx: CheckContext): { report: DatastoreCapacity[]; findings: Finding[] } {
  const need = new Map<string, { bytes: number; units: Set<string> }>();
  const findings: Finding[] = [];
  const { request } = ctx.input;
  for (const s of ctx.scope.moving) {
    if (s.unit.method !== 'zerto') continue;
    const name =
      request.kind === 'failback' ? s.unit.datastores[0] : ctx.input.zertoRecoveryDatastores?.get(s.unit.id);
    const ds = name === undefined ? undefined : ctx.idx.datastoreByName.get(name);
    if (!ds) {
      findings.push(
        finding(
          'ZERTO_RECOVERY_UNKNOWN',
          'warn',
          `Recovery datastore of ${s.unit.id} at ${request.to} ${name === undefined ? 'is unknown' : `(${name}) is not in the inventory`}: its free space was not checked.`,
          { units: [s.unit.id] },
          'Check the VPG recovery settings in Zerto.',
        ),
      );
      continue;
    }
    const entry = need.get(ds.id) ?? { bytes: 0, units: new Set<string>() };
    entry.units.add(s.unit.id);
    for (const vm of ctx.scope.byOwner.get(s.unit.id) ?? []) {
      if (vm.powerState === 'poweredOn') entry.bytes += vm.memoryMb * 1024 ** 2;
    }
    need.set(ds.id, entry);
  }
  const headroom = ctx.input.topology.capacity.headroomPercent / 100;
  const report: DatastoreCapacity[] = [];
  for (const [id, n] of need) {
    const ds = ctx.idx.datastore.get(id);
    if (!ds) continue;
    const reserveBytes = ds.capacityBytes * headroom;
    report.push({
      datastore: ds.name,
      units: [...n.units].sort(),
      capacityBytes: ds.capacityBytes,
      freeBytes: ds.freeBytes,
      neededBytes: n.bytes,
      reserveBytes,
      ok: ds.freeBytes - n.bytes >= reserveBytes,
    });
  }
  return { report: report.sort((a, b) => (a.datastore < b.datastore ? -1 : 1)), findings };
}
