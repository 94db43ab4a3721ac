import { labProtection as labProtectionFor } from '../../lab/lab-config.js';
import type { LabDatastore, LabModel } from '../../lab/model.js';
import type { ProtectionInput } from '../../src/config/schema.js';
import type {
  Inventory,
  InventoryCluster,
  InventoryDatastore,
  InventoryHost,
  InventoryVm,
} from '../../src/domain/inventory.js';

// The inventory snapshot Bascule would read from the lab's vCenter, built straight from the lab
// model with made-up morefs: same layout as the vcsim contract (one datacenter, one cluster per
// site named after it, datastores mounted on the hosts of their `mountedOn` sites, vmx on the first
// datastore). Lets unit tests and the benchmark run the pure engine on the lab without starting it.

export interface ModelInventoryOptions {
  takenAt?: string;
  /** Disk space each VM uses on its datastores (split over them); drives free space. */
  usedGbPerVm?: number;
}

const gib = 1024 ** 3;

export type { ProtectionInput };

export function inventoryFromModel(model: LabModel, options: ModelInventoryOptions = {}): Inventory {
  const usedGb = options.usedGbPerVm ?? 40;
  const clusterId = new Map(model.sites.map((s, i) => [s, `domain-c${i + 1}`]));
  const poolId = new Map(model.sites.map((s, i) => [s, `resgroup-${i + 1}`]));
  const hostId = new Map(model.hosts.map((h, i) => [h.name, `host-${i + 1}`]));
  const dsId = new Map(model.datastores.map((d, i) => [d.name, `datastore-${i + 1}`]));
  const vmId = new Map(model.vms.map((v, i) => [v.name, `vm-${i + 1}`]));
  const siteOfHost = new Map(model.hosts.map((h) => [h.name, h.site]));
  const need = <K, V>(map: Map<K, V>, key: K): V => {
    const v = map.get(key);
    if (v === undefined) throw new Error(`lab model refers to unknown ${String(key)}`);
    return v;
  };

  const mountedOn = (d: LabDatastore) =>
    model.hosts.filter((h) => d.mountedOn.includes(h.site)).map((h) => need(hostId, h.name));
  const usedBytes = new Map<string, number>();
  for (const vm of model.vms) {
    for (const ds of vm.datastores) {
      usedBytes.set(ds, (usedBytes.get(ds) ?? 0) + (usedGb * gib) / vm.datastores.length);
    }
  }

  const hosts: InventoryHost[] = model.hosts.map((h) => ({
    id: need(hostId, h.name),
    name: h.name,
    cluster: need(clusterId, h.site),
    connectionState: 'connected',
    inMaintenance: false,
    cpuCores: h.cpuCores,
    cpuMhz: h.cpuCores * h.cpuMhzPerCore,
    memoryMb: h.memoryMb,
    datastores: model.datastores.filter((d) => d.mountedOn.includes(h.site)).map((d) => need(dsId, d.name)),
  }));
  const datastores: InventoryDatastore[] = model.datastores.map((d) => ({
    id: need(dsId, d.name),
    name: d.name,
    type: 'VMFS',
    capacityBytes: d.capacityGb * gib,
    freeBytes: Math.max(0, d.capacityGb * gib - (usedBytes.get(d.name) ?? 0)),
    accessible: true,
    vmfsUuid: d.vmfsUuid,
    hosts: mountedOn(d),
  }));
  const clusters: InventoryCluster[] = model.sites.map((site) => ({
    id: need(clusterId, site),
    name: site,
    resourcePool: need(poolId, site),
    hosts: model.hosts.filter((h) => h.site === site).map((h) => need(hostId, h.name)),
    drsEnabled: true,
    haEnabled: true,
    haHostFailuresTolerated: null,
    antiAffinityRules: model.antiAffinityRules
      .filter((r) => r.cluster === site)
      .map((r) => ({ name: r.name, enabled: true, vms: r.vms.map((v) => need(vmId, v)) })),
    vmGroups: [],
  }));
  const vms: InventoryVm[] = model.vms.map((v) => {
    const isoDs = v.iso === undefined ? undefined : /^\[([^\]]+)\]/.exec(v.iso)?.[1];
    const dsNames =
      isoDs !== undefined && !v.datastores.includes(isoDs) ? [...v.datastores, isoDs] : v.datastores;
    const site = need(siteOfHost, v.host);
    return {
      id: need(vmId, v.name),
      name: v.name,
      instanceUuid: `5000${need(vmId, v.name).replace(/\D/g, '').padStart(8, '0')}-0000-0000-0000-000000000000`,
      powerState: v.powerOn ? 'poweredOn' : 'poweredOff',
      connectionState: 'connected',
      host: need(hostId, v.host),
      resourcePool: need(poolId, site),
      datastores: dsNames.map((n) => need(dsId, n)),
      vmxPath: `[${v.datastores[0]}] ${v.name}/${v.name}.vmx`,
      numCpu: v.numCpu,
      memoryMb: v.memoryMb,
      toolsRunning: v.powerOn && v.toolsRunning,
      // vCenter reports an ISO attached to a running VM as connected.
      cdroms:
        v.iso === undefined || isoDs === undefined
          ? []
          : [{ datastore: need(dsId, isoDs), path: v.iso, connected: v.powerOn }],
      hasSnapshots: v.snapshot,
      template: false,
      attributes: { ...v.attributes },
    };
  });
  return {
    takenAt: options.takenAt ?? '2030-01-01T06:00:00.000Z',
    vcenter: 'lab-vcenter',
    datacenters: [{ id: 'datacenter-1', name: model.datacenter, vmFolder: 'group-v1' }],
    clusters,
    hosts,
    datastores,
    vms,
  };
}

/** The lab's protection entries, with this fixture's array names (one ZVM per site). */
export function labProtection(model: LabModel): ProtectionInput[] {
  return labProtectionFor(model, {
    storwize: (site) => `v7k-${site}`,
    dsm: 'dsm',
    zerto: (site) => `zvm-${site}`,
  });
}

/** VPG name → its recovery datastore at `site`, as the ZVM reports it. */
export function labZertoRecovery(model: LabModel, site: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const vpg of model.vpgs) {
    const ds = vpg.recoveryDatastore[site];
    if (ds !== undefined && vpg.site !== site) out.set(vpg.name, ds);
  }
  return out;
}
