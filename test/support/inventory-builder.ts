import type {
  HostConnectionState,
  Inventory,
  InventoryCluster,
  InventoryDatastore,
  InventoryHost,
  InventoryVm,
  PowerState,
  VmConnectionState,
} from '../../src/domain/inventory.js';

// A small fluent builder for hand-made inventories: tests name hosts, datastores and VMs, the
// builder makes up morefs and keeps the cross references (host ↔ datastore mounts, cluster ↔
// hosts, rules by VM id) consistent. Everything is resolved in build(), so the order of calls
// does not matter.

export interface HostOptions {
  cores?: number;
  mhzPerCore?: number;
  memoryMb?: number;
  connectionState?: HostConnectionState;
  inMaintenance?: boolean;
}

export interface DatastoreOptions {
  /** Clusters whose hosts all mount it. */
  mountedOn?: string[];
  /** Individual hosts that mount it (in addition to mountedOn). */
  hosts?: string[];
  capacityGb?: number;
  freeGb?: number;
  accessible?: boolean;
}

export interface VmOptions {
  host: string | null;
  /** Datastore names; the first holds the vmx. */
  datastores: string[];
  cpu?: number;
  memoryMb?: number;
  power?: PowerState;
  tools?: boolean;
  snapshot?: boolean;
  iso?: { datastore: string; connected?: boolean };
  attributes?: Record<string, string>;
  connectionState?: VmConnectionState;
  template?: boolean;
}

export interface ClusterOptions {
  ha?: boolean;
  haHostFailuresTolerated?: number | null;
}

interface PendingRule {
  cluster: string;
  name: string;
  vms: string[];
  enabled: boolean;
}

const gib = 1024 ** 3;

export class InventoryBuilder {
  private readonly clusters = new Map<string, ClusterOptions>();
  private readonly hosts = new Map<string, { cluster: string } & HostOptions>();
  private readonly datastores = new Map<string, DatastoreOptions>();
  private readonly vms = new Map<string, VmOptions>();
  private readonly rules: PendingRule[] = [];

  constructor(private readonly takenAt = '2030-01-01T00:00:00.000Z') {}

  /** A cluster named after the site with `hosts` hosts named esx-<site>-01…; the common case. */
  site(name: string, hosts = 2, options: HostOptions & ClusterOptions = {}): this {
    this.cluster(name, options);
    for (let i = 1; i <= hosts; i++) this.host(`esx-${name}-${String(i).padStart(2, '0')}`, name, options);
    return this;
  }

  cluster(name: string, options: ClusterOptions = {}): this {
    this.clusters.set(name, options);
    return this;
  }

  host(name: string, cluster: string, options: HostOptions = {}): this {
    this.hosts.set(name, { cluster, ...options });
    return this;
  }

  datastore(name: string, options: DatastoreOptions = {}): this {
    this.datastores.set(name, options);
    return this;
  }

  vm(name: string, options: VmOptions): this {
    this.vms.set(name, options);
    return this;
  }

  /** Changes an already declared VM (e.g. "after ldap-02 was moved"). */
  updateVm(name: string, change: Partial<VmOptions>): this {
    const vm = this.vms.get(name);
    if (!vm) throw new Error(`no vm ${name}`);
    this.vms.set(name, { ...vm, ...change });
    return this;
  }

  updateHost(name: string, change: HostOptions): this {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`no host ${name}`);
    this.hosts.set(name, { ...host, ...change });
    return this;
  }

  antiAffinity(cluster: string, name: string, vms: string[], enabled = true): this {
    this.rules.push({ cluster, name, vms, enabled });
    return this;
  }

  build(): Inventory {
    const ids = new Ids();
    const clusterId = (n: string) => ids.of('domain-c', n);
    const hostId = (n: string) => ids.of('host-', n);
    const dsId = (n: string) => ids.of('datastore-', n);
    const vmId = (n: string) => ids.of('vm-', n);
    const poolId = (n: string) => ids.of('resgroup-', n);

    const mounts = new Map<string, Set<string>>();
    for (const [ds, o] of this.datastores) {
      const set = new Set(o.hosts ?? []);
      for (const [h, ho] of this.hosts) if (o.mountedOn?.includes(ho.cluster)) set.add(h);
      mounts.set(ds, set);
    }
    const hostMounts = (h: string) =>
      [...this.datastores.keys()].filter((d) => mounts.get(d)?.has(h)).map(dsId);

    const hosts: InventoryHost[] = [...this.hosts].map(([name, o]) => {
      const cores = o.cores ?? 32;
      return {
        id: hostId(name),
        name,
        cluster: this.clusters.has(o.cluster) ? clusterId(o.cluster) : null,
        connectionState: o.connectionState ?? 'connected',
        inMaintenance: o.inMaintenance ?? false,
        cpuCores: cores,
        cpuMhz: cores * (o.mhzPerCore ?? 2_600),
        memoryMb: o.memoryMb ?? 512 * 1024,
        datastores: hostMounts(name),
      };
    });
    const clusters: InventoryCluster[] = [...this.clusters].map(([name, o]) => ({
      id: clusterId(name),
      name,
      resourcePool: poolId(name),
      hosts: [...this.hosts].filter(([, h]) => h.cluster === name).map(([h]) => hostId(h)),
      drsEnabled: true,
      haEnabled: o.ha ?? true,
      haHostFailuresTolerated: o.haHostFailuresTolerated ?? null,
      antiAffinityRules: this.rules
        .filter((r) => r.cluster === name)
        .map((r) => ({ name: r.name, enabled: r.enabled, vms: r.vms.map(vmId) })),
      vmGroups: [],
    }));
    const datastores: InventoryDatastore[] = [...this.datastores].map(([name, o]) => {
      const capacityGb = o.capacityGb ?? 4_096;
      return {
        id: dsId(name),
        name,
        type: 'VMFS',
        capacityBytes: capacityGb * gib,
        freeBytes: (o.freeGb ?? capacityGb / 2) * gib,
        accessible: o.accessible ?? true,
        vmfsUuid: `uuid-${name}`,
        hosts: [...(mounts.get(name) ?? [])].map(hostId),
      };
    });
    const vms: InventoryVm[] = [...this.vms].map(([name, o]) =>
      this.buildVm(name, o, { vmId, hostId, dsId, poolId }),
    );
    return {
      takenAt: this.takenAt,
      vcenter: 'vcenter-test',
      datacenters: [{ id: 'datacenter-1', name: 'Campus', vmFolder: 'group-v1' }],
      clusters,
      hosts,
      datastores,
      vms,
    };
  }

  private buildVm(
    name: string,
    o: VmOptions,
    id: Record<'vmId' | 'hostId' | 'dsId' | 'poolId', (n: string) => string>,
  ): InventoryVm {
    const power = o.power ?? 'poweredOn';
    const cluster = o.host === null ? undefined : this.hosts.get(o.host)?.cluster;
    const datastores = [...o.datastores];
    if (o.iso && !datastores.includes(o.iso.datastore)) datastores.push(o.iso.datastore);
    return {
      id: id.vmId(name),
      name,
      instanceUuid: `uuid-${name}`,
      powerState: power,
      connectionState: o.connectionState ?? 'connected',
      host: o.host === null ? null : id.hostId(o.host),
      resourcePool: cluster === undefined ? null : id.poolId(cluster),
      datastores: datastores.map(id.dsId),
      vmxPath: `[${o.datastores[0] ?? '?'}] ${name}/${name}.vmx`,
      numCpu: o.cpu ?? 2,
      memoryMb: o.memoryMb ?? 4_096,
      toolsRunning: o.tools ?? power === 'poweredOn',
      cdroms: o.iso
        ? [
            {
              datastore: id.dsId(o.iso.datastore),
              path: `[${o.iso.datastore}] iso/disk.iso`,
              connected: o.iso.connected ?? true,
            },
          ]
        : [],
      hasSnapshots: o.snapshot ?? false,
      template: o.template ?? false,
      attributes: o.attributes ?? {},
    };
  }
}

/** Stable made-up morefs: the same name always gets the same id within one build. */
class Ids {
  private readonly map = new Map<string, string>();
  private next = 1;

  of(prefix: string, name: string): string {
    const key = `${prefix}${name}`;
    let id = this.map.get(key);
    if (id === undefined) {
      id = `${prefix}${this.next++}`;
      this.map.set(key, id);
    }
    return id;
  }
}
