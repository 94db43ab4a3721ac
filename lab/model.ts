// The lab's world, as data: two sites in one vCenter (one datacenter, one cluster per site, the
// stretched layer-2 network of the field report), their hosts, datastores and VMs, and what
// replicates where. Every stand-in is built from the same model, so the vCenter simulator, the
// arrays, Zerto and the generated sites.yaml always agree.

export type LabSize = 'small' | 'large';
export type LabMethod = 'storwize' | 'live-volume' | 'zerto' | 'none';

export interface LabHost {
  name: string;
  site: string;
  cpuCores: number;
  cpuMhzPerCore: number;
  memoryMb: number;
}

export interface LabDatastore {
  name: string;
  /** Site that owns it (primary); for Live Volume, the site holding the primary role. */
  site: string;
  method: LabMethod;
  /** Sites whose hosts mount it at start: the owning site, or both for Live Volume. */
  mountedOn: string[];
  capacityGb: number;
  /** VMFS UUID, kept when the replica is force-mounted on the other site. */
  vmfsUuid: string;
  /** NAA id of the LUN on the owning site's array, and of its replica on the other one. */
  lun: string;
  replicaLun: string;
  /** Storwize: relationship name, and consistency group when the datastore is in one. */
  relationship?: string;
  consistencyGroup?: string;
  /** Live Volume instance name in DSM. */
  liveVolume?: string;
  /** Zerto: VPG whose VMs live here. */
  vpg?: string;
  /** GB written since the last sync: drives how long a resync takes. */
  changedGb: number;
}

export interface LabVm {
  name: string;
  host: string;
  /** First datastore holds the .vmx; more than one means disks spread over datastores. */
  datastores: string[];
  numCpu: number;
  memoryMb: number;
  powerOn: boolean;
  toolsRunning: boolean;
  snapshot: boolean;
  /** `[datastore] path.iso` when a CD-ROM is backed by an ISO. */
  iso?: string;
  attributes: Record<string, string>;
}

export interface LabRule {
  cluster: string;
  name: string;
  vms: string[];
}

export interface LabVpg {
  name: string;
  site: string;
  vms: string[];
  /** Datastore on the recovery site where Zerto recovers the VMs. */
  recoveryDatastore: Record<string, string>;
}

export interface LabModel {
  datacenter: string;
  sites: string[];
  hosts: LabHost[];
  datastores: LabDatastore[];
  vms: LabVm[];
  antiAffinityRules: LabRule[];
  vpgs: LabVpg[];
  /** Task durations in ms at time scale 1, by vim25 method name. */
  taskDurationsMs: Record<string, number>;
}

export interface LabModelOptions {
  size?: LabSize;
  /** Override the size preset. */
  vms?: number;
  hosts?: number;
  datastores?: number;
  sites?: [string, string];
}

/** Durations a real vCenter takes for these tasks, roughly; the lab scales them by --time-scale. */
export const defaultTaskDurationsMs: Record<string, number> = {
  PowerOffVM_Task: 2_000,
  PowerOnVM_Task: 3_000,
  PowerOnMultiVM_Task: 3_000,
  ShutdownGuest: 4_000,
  RegisterVM_Task: 1_500,
  RelocateVM_Task: 5_000,
  MigrateVM_Task: 5_000,
  RescanAllHba: 3_000,
  ResolveMultipleUnresolvedVmfsVolumes: 2_000,
};

const roles = [
  'web',
  'app',
  'db',
  'ldap',
  'mail',
  'proxy',
  'git',
  'wiki',
  'moodle',
  'dns',
  'radius',
  'print',
];

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0').slice(-width);
}

/**
 * Builds the lab model. The small lab is hand-readable and contains the situations preflight must
 * catch: a load-balanced pair split correctly by a DRS rule, and a redundant pair (`ldap-01`/`ldap-02`)
 * misplaced on one cold datastore. The large lab is generated for benchmarks.
 */
export function buildLabModel(options: LabModelOptions = {}): LabModel {
  const size = options.size ?? 'small';
  const [a, b] = options.sites ?? ['site5', 'lognes'];
  const preset =
    size === 'large' ? { vms: 5_000, hosts: 40, datastores: 200 } : { vms: 24, hosts: 6, datastores: 8 };
  const nHosts = options.hosts ?? preset.hosts;
  const nDatastores = options.datastores ?? preset.datastores;
  const nVms = options.vms ?? preset.vms;

  const hosts: LabHost[] = [];
  for (let i = 0; i < nHosts; i++) {
    const site = i % 2 === 0 ? a : b;
    const n = Math.floor(i / 2) + 1;
    hosts.push({
      name: `esx-${site}-${String(n).padStart(2, '0')}`,
      site,
      cpuCores: 32,
      cpuMhzPerCore: 2_600,
      memoryMb: 512 * 1024,
    });
  }

  // Datastores alternate between the sites; the methods cycle so every lab has all three, with
  // cold (Storwize) the most common, as in the field report.
  const datastores: LabDatastore[] = [];
  const methodCycle: LabMethod[] = ['storwize', 'live-volume', 'zerto', 'storwize', 'storwize', 'storwize'];
  const counters = new Map<string, number>();
  for (let i = 0; i < nDatastores; i++) {
    const site = i % 2 === 0 ? a : b;
    const method = methodCycle[Math.floor(i / 2) % methodCycle.length] as LabMethod;
    const key = `${site}:${method}`;
    const n = (counters.get(key) ?? 0) + 1;
    counters.set(key, n);
    const num = String(n).padStart(2, '0');
    const tag = site.toUpperCase().replace(/[^A-Z0-9]/g, '');
    const name =
      method === 'storwize'
        ? `SAN-${tag}-PROD-${num}`
        : method === 'live-volume'
          ? `LV-${tag}-${num}`
          : `LOCAL-${tag}-ZERTO-${num}`;
    const ds: LabDatastore = {
      name,
      site,
      method,
      mountedOn: method === 'live-volume' ? [a, b] : [site],
      capacityGb: 4_096,
      vmfsUuid: `5f${hex(i + 1, 6)}-${hex(i * 7919, 8)}-${hex(i, 4)}-00505601${hex(i, 4)}`,
      lun: `naa.6005076801${hex(i + 1, 22)}`,
      replicaLun: `naa.6005076802${hex(i + 1, 22)}`,
      changedGb: 20 + ((i * 37) % 200),
    };
    if (method === 'storwize') {
      // Every second cold datastore is in a consistency group, to exercise both CLI forms.
      if (n % 2 === 0) ds.consistencyGroup = `cg_${name.toLowerCase().replace(/-/g, '_')}`;
      ds.relationship = `rc_${name.toLowerCase().replace(/-/g, '_')}`;
    }
    if (method === 'live-volume') ds.liveVolume = `Live Volume of ${name}`;
    if (method === 'zerto') ds.vpg = `VPG-${tag}-${num}`;
    datastores.push(ds);
  }

  // Zerto recovers onto a datastore of the other site; give each site one recovery datastore.
  for (const site of [a, b]) {
    const tag = site.toUpperCase().replace(/[^A-Z0-9]/g, '');
    datastores.push({
      name: `ZERTO-RECOVERY-${tag}`,
      site,
      method: 'none',
      mountedOn: [site],
      capacityGb: 8_192,
      vmfsUuid: `5e${hex(site.length, 6)}-${hex(site.charCodeAt(0) * 131, 8)}-0000-00505602${hex(site.charCodeAt(1), 4)}`,
      lun: `naa.6005076803${hex(site.charCodeAt(0) + site.length, 22)}`,
      replicaLun: `naa.6005076804${hex(site.charCodeAt(0) + site.length, 22)}`,
      changedGb: 0,
    });
  }
  // A non-replicated ISO library on site a: a CD-ROM backed by it is a preflight warning.
  datastores.push({
    name: `ISO-LIB-${a.toUpperCase().replace(/[^A-Z0-9]/g, '')}`,
    site: a,
    method: 'none',
    mountedOn: [a],
    capacityGb: 512,
    vmfsUuid: '5d000001-00000001-0000-005056030001',
    lun: 'naa.60050768050000000000000000000001',
    replicaLun: 'naa.60050768060000000000000000000001',
    changedGb: 0,
  });

  const replicated = datastores.filter((d) => d.method !== 'none');
  const hostsOf = (site: string) => hosts.filter((h) => h.site === site);
  const vms: LabVm[] = [];
  const rules: LabRule[] = [];
  const counts = new Map<string, number>();
  const nextName = (role: string) => {
    const n = (counts.get(role) ?? 0) + 1;
    counts.set(role, n);
    return `${role}-${String(n).padStart(2, '0')}`;
  };

  // VMs go round-robin over replicated datastores; pairs ("-01"/"-02") land on two different
  // datastores of the same site and method, kept apart by a DRS anti-affinity rule.
  const bySiteMethod = new Map<string, LabDatastore[]>();
  for (const d of replicated) {
    const k = `${d.site}:${d.method}`;
    bySiteMethod.set(k, [...(bySiteMethod.get(k) ?? []), d]);
  }
  let vmIndex = 0;
  let dsCursor = 0;
  while (vms.length < nVms) {
    const ds = replicated[dsCursor % replicated.length] as LabDatastore;
    dsCursor++;
    const role = roles[vmIndex % roles.length] as string;
    const siteHosts = hostsOf(ds.site);
    const sameKind = bySiteMethod.get(`${ds.site}:${ds.method}`) ?? [ds];
    const pair = role === 'web' && vms.length + 2 <= nVms && sameKind.length > 1 && siteHosts.length > 1;
    const members = pair ? 2 : 1;
    const pairNo = pair ? nextName(`${role}-pair`).replace(/^.*-/, '') : '';
    const names: string[] = [];
    for (let m = 0; m < members; m++) {
      const vmName = pair
        ? `${role}${Number(pairNo)}-0${m + 1}`
        : `${role}-${String(vmIndex + 1).padStart(2, '0')}`;
      const vmDs = m === 0 ? ds : (sameKind.find((d) => d.name !== ds.name) as LabDatastore);
      const host = siteHosts[(vmIndex + m) % siteHosts.length] as LabHost;
      const cpu = [1, 2, 2, 4, 4, 8][vmIndex % 6] as number;
      vms.push({
        name: vmName,
        host: host.name,
        datastores: [vmDs.name],
        numCpu: cpu,
        memoryMb: cpu * 4_096,
        powerOn: true,
        toolsRunning: true,
        snapshot: false,
        attributes: { service: role, owner: '' },
      });
      names.push(vmName);
    }
    if (pair) {
      const cluster = ds.site;
      rules.push({ cluster, name: `anti-affinity-${role}${Number(pairNo)}`, vms: names });
    }
    vmIndex++;
  }

  if (size === 'small') decorateSmallLab(vms, rules, datastores, a, b);

  const vpgs: LabVpg[] = datastores
    .filter((d) => d.method === 'zerto')
    .map((d) => {
      const other = d.site === a ? b : a;
      return {
        name: d.vpg as string,
        site: d.site,
        vms: vms.filter((v) => v.datastores[0] === d.name).map((v) => v.name),
        recoveryDatastore: {
          [other]: `ZERTO-RECOVERY-${other.toUpperCase().replace(/[^A-Z0-9]/g, '')}`,
          [d.site]: d.name,
        },
      };
    });

  return {
    datacenter: 'Campus',
    sites: [a, b],
    hosts,
    datastores,
    vms,
    antiAffinityRules: rules,
    vpgs,
    taskDurationsMs: { ...defaultTaskDurationsMs },
  };
}

/**
 * Hand-placed cases in the small lab, so that preflight has something to find and the demo has
 * something to fix: a misplaced LDAP pair on one cold datastore (the blocking finding), a VM
 * without VMware Tools, one with a snapshot, one with an ISO from the non-replicated library, and
 * a VM with disks on two datastores.
 */
function decorateSmallLab(
  vms: LabVm[],
  rules: LabRule[],
  datastores: LabDatastore[],
  a: string,
  b: string,
): void {
  const cold = datastores.filter((d) => d.site === a && d.method === 'storwize');
  const first = cold[0];
  const second = cold[1] ?? cold[0];
  if (!first || !second) return;
  const host = (n: number) => `esx-${a}-${String(n).padStart(2, '0')}`;
  vms.push(
    {
      name: 'ldap-01',
      host: host(1),
      datastores: [first.name],
      numCpu: 2,
      memoryMb: 4_096,
      powerOn: true,
      toolsRunning: true,
      snapshot: false,
      attributes: { service: 'ldap', owner: '' },
    },
    {
      name: 'ldap-02',
      host: host(2),
      datastores: [first.name],
      numCpu: 2,
      memoryMb: 4_096,
      powerOn: true,
      toolsRunning: true,
      snapshot: false,
      attributes: { service: 'ldap', owner: '' },
    },
  );
  rules.push({ cluster: a, name: 'anti-affinity-ldap', vms: ['ldap-01', 'ldap-02'] });
  const onFirst = vms.filter((v) => v.datastores[0] === first.name && !v.name.startsWith('ldap'));
  const noTools = onFirst[0];
  if (noTools) noTools.toolsRunning = false;
  const withSnapshot = vms.find((v) => v.datastores[0] === second.name);
  if (withSnapshot) withSnapshot.snapshot = true;
  const iso = datastores.find((d) => d.name.startsWith('ISO-LIB-'));
  const withIso = vms.find((v) => v.datastores[0] === second.name && v !== withSnapshot);
  if (iso && withIso) withIso.iso = `[${iso.name}] images/debian-12.iso`;
  // The spanning VM sits on the other site so that it does not join the units of the LDAP fix.
  const coldB = datastores.filter((d) => d.site === b && d.method === 'storwize');
  const spanning = vms.find((v) => v.datastores[0] === coldB[0]?.name);
  if (spanning && coldB[1]) spanning.datastores.push(coldB[1].name);
}
