// The inventory snapshot: what vCenter looked like at one instant, as plain data.
// Everything Bascule decides (preflight findings, plans, plan hashes) is a pure function of this
// snapshot, the topology and the replication status, so it must hold every fact those rules read.
// Ids are vSphere managed-object ids (moref values such as `vm-42`); the type is implied by the field.

export type PowerState = 'poweredOn' | 'poweredOff' | 'suspended';
export type VmConnectionState = 'connected' | 'disconnected' | 'orphaned' | 'inaccessible' | 'invalid';
export type HostConnectionState = 'connected' | 'disconnected' | 'notResponding';

export interface CdromBacking {
  /** Datastore id the ISO lives on; null for a client device or host device. */
  datastore: string | null;
  /** `[datastore] path/file.iso`, or the device name. */
  path: string;
  connected: boolean;
}

export interface InventoryVm {
  id: string;
  name: string;
  instanceUuid: string;
  powerState: PowerState;
  connectionState: VmConnectionState;
  /** Host id the VM is registered on; null when vCenter does not report one (orphaned VMs). */
  host: string | null;
  /** Resource pool id; null for templates. */
  resourcePool: string | null;
  /** Datastore ids holding any of the VM's files (disks, vmx, swap) and mounted ISO images. */
  datastores: string[];
  /** `[datastore] dir/name.vmx` */
  vmxPath: string;
  numCpu: number;
  memoryMb: number;
  /** VMware Tools answers (`guestToolsRunning`); a clean shutdown needs it. */
  toolsRunning: boolean;
  /**
   * CD-ROMs, as far as they can matter to a move: known for every VM that uses more than one
   * datastore; empty for a VM on a single datastore, where an ISO can only be on the VM's own
   * datastore (vCenter lists ISO datastores among the VM's datastores) and moves with it.
   */
  cdroms: CdromBacking[];
  hasSnapshots: boolean;
  template: boolean;
  /** Custom attribute values and tags by name (tags as `tag:<category>` → tag name). */
  attributes: Record<string, string>;
}

export interface InventoryHost {
  id: string;
  name: string;
  /** Cluster id; null for a standalone host. */
  cluster: string | null;
  connectionState: HostConnectionState;
  inMaintenance: boolean;
  cpuCores: number;
  /** Total CPU capacity in MHz (cores × MHz per core). */
  cpuMhz: number;
  memoryMb: number;
  /** Datastore ids mounted and accessible on this host. */
  datastores: string[];
}

export interface InventoryDatastore {
  id: string;
  name: string;
  type: string;
  capacityBytes: number;
  freeBytes: number;
  accessible: boolean;
  /** VMFS UUID; null for NFS and other non-VMFS datastores. */
  vmfsUuid: string | null;
  /** Host ids that mount it. */
  hosts: string[];
}

export interface AntiAffinityRule {
  name: string;
  enabled: boolean;
  /** VM ids kept on different hosts: the VMs back each other up. */
  vms: string[];
}

export interface VmGroup {
  name: string;
  vms: string[];
}

export interface InventoryCluster {
  id: string;
  name: string;
  /** Root resource pool of the cluster: where registered VMs go. */
  resourcePool: string;
  hosts: string[];
  drsEnabled: boolean;
  haEnabled: boolean;
  /** HA admission control: number of host failures to tolerate, when configured that way. */
  haHostFailuresTolerated: number | null;
  antiAffinityRules: AntiAffinityRule[];
  vmGroups: VmGroup[];
}

export interface InventoryDatacenter {
  id: string;
  name: string;
  /** Folder where VMs are registered. */
  vmFolder: string;
}

export interface Inventory {
  /** ISO 8601 time the snapshot was taken. */
  takenAt: string;
  /** vCenter instance UUID, so snapshots from two vCenters are never mixed up. */
  vcenter: string;
  datacenters: InventoryDatacenter[];
  clusters: InventoryCluster[];
  hosts: InventoryHost[];
  datastores: InventoryDatastore[];
  vms: InventoryVm[];
}

/**
 * Lookup tables built once per snapshot; rules use them instead of scanning arrays. The tables keyed
 * by VM (`vm`, `vmByName`, `vmsOnDatastore`) are built on first use: a Map of 5,000 VMs is one
 * large allocation, which costs milliseconds right after a big garbage collection (the preflight
 * runs just after reading the inventory), and the preflight needs none of them on its usual path.
 * VM ids are unique in a snapshot (morefs), which the per-datastore lists rely on.
 */
export interface InventoryIndex {
  vm: Map<string, InventoryVm>;
  vmByName: Map<string, InventoryVm>;
  host: Map<string, InventoryHost>;
  datastore: Map<string, InventoryDatastore>;
  datastoreByName: Map<string, InventoryDatastore>;
  cluster: Map<string, InventoryCluster>;
  clusterByName: Map<string, InventoryCluster>;
  /** Datastore id → ids of VMs with files on it. */
  vmsOnDatastore: Map<string, string[]>;
  /** Datastore id → VMs with files on it, in inventory order. */
  vmsByDatastore: Map<string, InventoryVm[]>;
  /** VMs with files on more than one datastore, in inventory order: the only ones joining units. */
  multiDatastoreVms: InventoryVm[];
}

export function indexInventory(inv: Inventory): InventoryIndex {
  const vmsByDatastore = new Map<string, InventoryVm[]>();
  const multiDatastoreVms: InventoryVm[] = [];
  // Indexed loops: this runs a few times per process, too few for the JIT to drop the iterator
  // objects a for-of over 5,000 VMs allocates.
  for (let i = 0; i < inv.vms.length; i++) {
    const v = inv.vms[i]!;
    if (v.datastores.length > 1) multiDatastoreVms.push(v);
    for (let j = 0; j < v.datastores.length; j++) {
      const ds = v.datastores[j]!;
      const list = vmsByDatastore.get(ds);
      if (list) list.push(v);
      else vmsByDatastore.set(ds, [v]);
    }
  }
  const host = new Map<string, InventoryHost>();
  for (const h of inv.hosts) host.set(h.id, h);
  const datastore = new Map<string, InventoryDatastore>();
  const datastoreByName = new Map<string, InventoryDatastore>();
  for (const d of inv.datastores) {
    datastore.set(d.id, d);
    datastoreByName.set(d.name, d);
  }
  const cluster = new Map<string, InventoryCluster>();
  const clusterByName = new Map<string, InventoryCluster>();
  for (const c of inv.clusters) {
    cluster.set(c.id, c);
    clusterByName.set(c.name, c);
  }
  let vm: Map<string, InventoryVm> | undefined;
  let vmByName: Map<string, InventoryVm> | undefined;
  let vmsOnDatastore: Map<string, string[]> | undefined;
  return {
    get vm(): Map<string, InventoryVm> {
      if (vm === undefined) {
        vm = new Map();
        for (const v of inv.vms) vm.set(v.id, v);
      }
      return vm;
    },
    get vmByName(): Map<string, InventoryVm> {
      if (vmByName === undefined) {
        vmByName = new Map();
        for (const v of inv.vms) vmByName.set(v.name, v);
      }
      return vmByName;
    },
    host,
    datastore,
    datastoreByName,
    cluster,
    clusterByName,
    get vmsOnDatastore(): Map<string, string[]> {
      if (vmsOnDatastore === undefined) {
        vmsOnDatastore = new Map();
        for (const [ds, vms] of vmsByDatastore) {
          vmsOnDatastore.set(
            ds,
            vms.map((v) => v.id),
          );
        }
      }
      return vmsOnDatastore;
    },
    vmsByDatastore,
    multiDatastoreVms,
  };
}
