import type { InventoryHost } from '../inventory.js';
import { hostUsable } from '../site-map.js';
import type { CheckContext } from './context.js';
import { finding, listNames } from './finding.js';
import type { ScopedUnit } from './scope.js';
import type { Finding } from './types.js';

// Rule 4: hosts and datastores. The destination needs hosts that can take VMs; a Live Volume move
// needs the volume mounted on them (vMotion keeps the VM's storage); a cold move unmounts its
// datastores from every source host that mounts them, which a disconnected host cannot do.

export function checkHosts(ctx: CheckContext): Finding[] {
  const { from, to, kind } = ctx.input.request;
  const findings: Finding[] = [];
  for (const m of ctx.sites.missingClusters) {
    if (m.site !== to && m.site !== from) continue;
    findings.push(
      finding(
        'SITE_CLUSTER_MISSING',
        m.site === to ? 'block' : 'warn',
        `Cluster ${m.cluster} of site ${m.site} is not in the vCenter inventory.`,
        { clusters: [m.cluster] },
        `Fix the cluster name under sites[${m.site}].clusters in sites.yaml, or check the vCenter account's permissions.`,
      ),
    );
  }
  if (ctx.scope.moving.length > 0) findings.push(...destinationHosts(ctx));
  for (const s of ctx.scope.moving) {
    findings.push(...unitDatastores(ctx, s));
    if (s.unit.method === 'live-volume') findings.push(...liveVolumeMounts(ctx, s));
    if (s.unit.method === 'storwize' && kind !== 'failover') findings.push(...sourceHosts(ctx, s));
  }
  return findings;
}

function destinationHosts(ctx: CheckContext): Finding[] {
  const to = ctx.input.request.to;
  const all = ctx.sites.hostsOfSite.get(to) ?? [];
  const down = all.filter((h) => !hostUsable(h));
  if (ctx.destinationHosts.length === 0) {
    return [
      finding(
        'DEST_NO_HOSTS',
        'block',
        `No host at ${to} can take VMs: ${all.length === 0 ? 'the site has no hosts' : `${listNames(down.map(describeHost))}`}.`,
        { hosts: down.map((h) => h.name) },
        `Reconnect the hosts of ${to} or take them out of maintenance mode.`,
      ),
    ];
  }
  if (down.length === 0) return [];
  return [
    finding(
      'DEST_HOSTS_UNAVAILABLE',
      'warn',
      `${down.length} of ${all.length} host(s) at ${to} cannot take VMs: ${listNames(down.map(describeHost))}.`,
      { hosts: down.map((h) => h.name) },
      'The plan places VMs on the other hosts; bring these back first if capacity is tight.',
    ),
  ];
}

function describeHost(h: InventoryHost): string {
  return h.inMaintenance ? `${h.name} (maintenance)` : `${h.name} (${h.connectionState})`;
}

function unitDatastores(ctx: CheckContext, s: ScopedUnit): Finding[] {
  const { kind } = ctx.input.request;
  const out: Finding[] = [];
  if (s.missingDatastores.length > 0) {
    // Zerto moves VMs, not datastores, and a failover's source may be gone from vCenter's view.
    const severity = s.unit.method === 'zerto' || kind === 'failover' ? 'warn' : 'block';
    out.push(
      finding(
        'UNIT_DATASTORE_MISSING',
        severity,
        `${s.unit.id} lists datastore(s) ${s.missingDatastores.join(', ')} that the vCenter inventory does not have.`,
        { units: [s.unit.id], datastores: s.missingDatastores },
        'Fix the datastore name in sites.yaml, or mount the datastore at the source site.',
      ),
    );
  }
  const inaccessible = s.datastores.filter((d) => !d.accessible).map((d) => d.name);
  if (inaccessible.length > 0 && kind !== 'failover') {
    out.push(
      finding(
        'DATASTORE_INACCESSIBLE',
        'block',
        `${inaccessible.join(', ')} of ${s.unit.id} is inaccessible: its VMs cannot be shut down or moved cleanly.`,
        { units: [s.unit.id], datastores: inaccessible },
        'Check the array and the SAN paths; if the source site is lost, run a failover instead.',
      ),
    );
  }
  return out;
}

function liveVolumeMounts(ctx: CheckContext, s: ScopedUnit): Finding[] {
  const usable = ctx.destinationHosts;
  if (usable.length === 0) return [];
  const out: Finding[] = [];
  for (const ds of s.datastores) {
    const mountedOn = new Set(ds.hosts);
    const missing = usable.filter((h) => !mountedOn.has(h.id)).map((h) => h.name);
    if (missing.length === 0) continue;
    const none = missing.length === usable.length;
    out.push(
      finding(
        none ? 'LIVE_VOLUME_NOT_MOUNTED' : 'LIVE_VOLUME_PARTIALLY_MOUNTED',
        none ? 'block' : 'warn',
        none
          ? `Live Volume ${ds.name} is not mounted on any usable host at ${ctx.input.request.to}: vMotion is impossible.`
          : `Live Volume ${ds.name} is not mounted on ${listNames(missing)}: VMs go to the other hosts only.`,
        { units: [s.unit.id], datastores: [ds.name], hosts: missing },
        `Map the secondary Live Volume to ${listNames(missing)} in DSM, rescan and mount ${ds.name} there.`,
      ),
    );
  }
  return out;
}

function sourceHosts(ctx: CheckContext, s: ScopedUnit): Finding[] {
  const unreachable = s.datastores
    .flatMap((d) => d.hosts)
    .map((id) => ctx.idx.host.get(id))
    .filter((h): h is InventoryHost => h !== undefined && h.connectionState !== 'connected');
  const names = [...new Set(unreachable.map((h) => h.name))].sort();
  if (names.length === 0) return [];
  return [
    finding(
      'SOURCE_HOST_UNREACHABLE',
      'warn',
      `${listNames(names)} mount ${s.unit.datastores.join(', ')} but are not connected: Bascule cannot unmount it there.`,
      { units: [s.unit.id], hosts: names },
      `Reconnect ${listNames(names)}, or make sure they are off before the replication switches.`,
    ),
  ];
}
