import type {
  AntiAffinityRule,
  CdromBacking,
  HostConnectionState,
  Inventory,
  InventoryCluster,
  InventoryDatacenter,
  InventoryDatastore,
  InventoryHost,
  InventoryVm,
  PowerState,
  VmConnectionState,
  VmGroup,
} from '../../domain/inventory.js';
import {
  boolOf,
  child,
  children,
  DecodeError,
  intOf,
  moRefList,
  moRefOf,
  type ObjectContent,
  optBool,
  optInt,
  optMoRef,
  optText,
  reqInt,
  reqText,
  returnMoRef,
  textOf,
  xsiType,
} from './decode.js';
import * as enc from './encode.js';
import { VsphereError, VsphereFaultError } from './errors.js';
import { type PagingOptions, retrievePages } from './retrieve.js';
import { isFault, type VsphereSession } from './session.js';
import type { MoRef, PropertyFilterSpec } from './types.js';
import type { ParseOptions, XmlNode } from './xml.js';

// The whole inventory in two passes over one ContainerView of the root folder, then DestroyView.
// Pass 1: one RetrievePropertiesEx (paged with ContinueRetrievePropertiesEx, the next page asked
// for while this one is decoded) with every path below except the VMs' devices. Pass 2: the
// devices, but only of the VMs that use more than one datastore. Devices are most of the bytes of
// an inventory (a dozen per VM, ~7 kB of XML) and Bascule needs only the CD-ROMs, and only when an
// ISO sits on another datastore than the VM's own: vCenter lists every datastore a VM uses, ISO
// images included, in VirtualMachine.datastore, so a VM on a single datastore cannot have one
// elsewhere. vim25 cannot filter array elements server-side; in pass 2 the parser also steps over
// the other devices without building them (INVENTORY_PARSE). Counting calls matters more than
// anything else: one call per VM is ~1 ms on loopback and 5–10 ms against a real vCenter, so each
// pass is one paged call whatever the number of VMs.

export const VIEW_TYPES = [
  'VirtualMachine',
  'HostSystem',
  'Datastore',
  'ClusterComputeResource',
  'Datacenter',
] as const;

export const VM_PATHS = [
  'name',
  'config.instanceUuid',
  'config.template',
  'config.hardware.numCPU',
  'config.hardware.memoryMB',
  // summary.config survives in an inaccessible VM, whose config is gone: the path re-registers it.
  'summary.config.vmPathName',
  'runtime.powerState',
  'runtime.connectionState',
  'runtime.host',
  'resourcePool',
  'datastore',
  'guest.toolsRunningStatus',
  'snapshot',
  'customValue',
] as const;

/** Pass 2, for the VMs that use more than one datastore. */
export const VM_DEVICE_PATHS = ['config.hardware.device'] as const;

export const HOST_PATHS = [
  'name',
  'runtime.connectionState',
  'runtime.inMaintenanceMode',
  'summary.hardware.numCpuCores',
  'summary.hardware.cpuMhz',
  'summary.hardware.memorySize',
  'datastore',
] as const;

export const DATASTORE_PATHS = [
  'name',
  'summary.type',
  'summary.capacity',
  'summary.freeSpace',
  'summary.accessible',
  // The VMFS UUID is in VmfsDatastoreInfo.vmfs; `info` is polymorphic, so it is asked for whole.
  'info',
  'host',
] as const;

export const CLUSTER_PATHS = ['name', 'resourcePool', 'host', 'configurationEx'] as const;
export const DATACENTER_PATHS = ['name', 'vmFolder'] as const;

/** Every object of a ContainerView (the view itself skipped), with the paths asked for per type. */
export function viewSpec(view: MoRef, propSet: PropertyFilterSpec['propSet']): PropertyFilterSpec {
  return {
    propSet,
    objectSet: [
      {
        obj: view,
        skip: true,
        selectSet: [
          { kind: 'TraversalSpec', name: 'view', type: 'ContainerView', path: 'view', skip: false },
        ],
      },
    ],
  };
}

/** The RetrievePropertiesEx specSet of an inventory: the view's objects, plus the custom field names. */
export function inventorySpecs(view: MoRef, customFieldsManager: MoRef | null): PropertyFilterSpec[] {
  const specs: PropertyFilterSpec[] = [
    viewSpec(view, [
      { type: 'VirtualMachine', pathSet: VM_PATHS },
      { type: 'HostSystem', pathSet: HOST_PATHS },
      { type: 'Datastore', pathSet: DATASTORE_PATHS },
      { type: 'ClusterComputeResource', pathSet: CLUSTER_PATHS },
      { type: 'Datacenter', pathSet: DATACENTER_PATHS },
    ]),
  ];
  if (customFieldsManager !== null) {
    specs.push({
      propSet: [{ type: 'CustomFieldsManager', pathSet: ['field'] }],
      objectSet: [{ obj: customFieldsManager }],
    });
  }
  return specs;
}

/** VMs whose CD-ROMs can matter: those listing more than one datastore (see the top of this file). */
export function vmsNeedingDevices(vms: ReadonlyArray<Pick<InventoryVm, 'id' | 'datastores'>>): string[] {
  return vms.filter((vm) => vm.datastores.length > 1).map((vm) => vm.id);
}

/** Pass 2 by object: the devices of the VMs named. */
export function deviceSpecs(vmIds: readonly string[]): PropertyFilterSpec[] {
  if (vmIds.length === 0) return [];
  return [
    {
      propSet: [{ type: 'VirtualMachine', pathSet: VM_DEVICE_PATHS }],
      objectSet: vmIds.map((id) => ({ obj: { type: 'VirtualMachine', value: id } })),
    },
  ];
}

/** Pass 2 through the view, for every VM: the fallback when a VM named in pass 2 is gone. */
export function viewDeviceSpecs(view: MoRef): PropertyFilterSpec[] {
  return [viewSpec(view, [{ type: 'VirtualMachine', pathSet: VM_DEVICE_PATHS }])];
}

export interface InventoryOptions extends PagingOptions {
  /**
   * Called after each page is decoded, before the next one is asked for; a returned promise is
   * awaited (progress reporting, throttling). A rejection aborts the read and is rethrown as is.
   */
  onPage?: (progress: { pages: number; objects: number }) => void | Promise<void>;
}

/** Of a VM's devices only the CD-ROMs are read; the others are most of the answer's bytes. */
export const INVENTORY_PARSE: ParseOptions = {
  skip: (name, xsiType) =>
    name === 'VirtualDevice' &&
    xsiType !== null &&
    xsiType.slice(xsiType.indexOf(':') + 1) !== 'VirtualCdrom',
};

const powerStates: readonly string[] = ['poweredOn', 'poweredOff', 'suspended'];
const vmConnectionStates: readonly string[] = [
  'connected',
  'disconnected',
  'orphaned',
  'inaccessible',
  'invalid',
];
const hostConnectionStates: readonly string[] = ['connected', 'disconnected', 'notResponding'];

function oneOf<T extends string>(allowed: readonly string[], value: string, where: string): T {
  if (!allowed.includes(value)) throw new DecodeError(`${where}: unknown value "${value}"`);
  return value as T;
}

/** Turns ObjectContents into the Inventory, page by page; custom values wait for the field names. */
export class InventoryCollector {
  readonly vms: Array<InventoryVm & { customKeys: Array<[number, string]> }> = [];
  readonly hosts: Array<InventoryHost & { datastoreRefs: string[] }> = [];
  readonly datastores: Array<InventoryDatastore & { accessibleOn: Set<string> }> = [];
  readonly clusters: InventoryCluster[] = [];
  readonly datacenters: InventoryDatacenter[] = [];
  readonly fieldNames = new Map<number, string>();
  private readonly vmById = new Map<string, InventoryVm>();

  add(o: ObjectContent): void {
    refuseMissing(o);
    switch (o.obj.type) {
      case 'VirtualMachine': {
        const vm = decodeVm(o);
        this.vms.push(vm);
        this.vmById.set(vm.id, vm);
        break;
      }
      case 'HostSystem':
        this.hosts.push(decodeHost(o));
        break;
      case 'Datastore':
        this.datastores.push(decodeDatastore(o));
        break;
      case 'ClusterComputeResource':
        this.clusters.push(decodeCluster(o));
        break;
      case 'Datacenter':
        this.datacenters.push({
          id: o.obj.value,
          name: req(o, 'name', textOf),
          vmFolder: req(o, 'vmFolder', (v) => moRefOf(v, 'Datacenter.vmFolder').value),
        });
        break;
      case 'CustomFieldsManager':
        for (const f of children(o.props.get('field'), 'CustomFieldDef')) {
          this.fieldNames.set(reqInt(f, 'key', 'CustomFieldDef'), reqText(f, 'name', 'CustomFieldDef'));
        }
        break;
    }
  }

  /**
   * A pass-2 answer: the CD-ROMs of a VM read in pass 1. A VM deleted between the passes is
   * reported missing (ManagedObjectNotFound) and keeps no CD-ROM, as it keeps no future.
   */
  addDevices(o: ObjectContent, only?: ReadonlySet<string>): void {
    if (o.obj.type !== 'VirtualMachine' || (only !== undefined && !only.has(o.obj.value))) return;
    if (vanished(o)) return;
    refuseMissing(o);
    const vm = this.vmById.get(o.obj.value);
    if (vm === undefined) return;
    vm.cdroms = opt(o, 'config.hardware.device', decodeCdroms, []);
  }

  build(vcenter: string, takenAt: string): Inventory {
    const hostCluster = new Map<string, string>();
    for (const c of this.clusters) for (const h of c.hosts) hostCluster.set(h, c.id);
    const dsByName = new Map(this.datastores.map((d) => [d.name, d.id]));
    const accessibleOn = new Map(this.datastores.map((d) => [d.id, d.accessibleOn]));

    const vms = this.vms.map(({ customKeys, ...vm }): InventoryVm => {
      const attributes: Record<string, string> = {};
      for (const [key, value] of customKeys) {
        const name = this.fieldNames.get(key);
        if (name !== undefined) attributes[name] = value;
      }
      const cdroms = vm.cdroms.map((c) =>
        c.datastore === null ? { ...c, datastore: datastoreOfPath(c.path, dsByName) } : c,
      );
      return { ...vm, cdroms, attributes };
    });
    const hosts = this.hosts.map(
      ({ datastoreRefs, ...h }): InventoryHost => ({
        ...h,
        cluster: hostCluster.get(h.id) ?? null,
        // Listed by the host and mounted there and accessible, per the datastore's own mount table.
        datastores: datastoreRefs.filter((ds) => accessibleOn.get(ds)?.has(h.id) ?? false),
      }),
    );
    const datastores = this.datastores.map(({ accessibleOn: _unused, ...d }): InventoryDatastore => d);
    return {
      takenAt,
      vcenter,
      datacenters: sortById(this.datacenters),
      clusters: sortById(this.clusters),
      hosts: sortById(hosts),
      datastores: sortById(datastores),
      vms: sortById(vms),
    };
  }
}

/** An object deleted since it was listed: vCenter reports every path of it ManagedObjectNotFound. */
export function vanished(o: ObjectContent): boolean {
  return o.missing.length > 0 && o.missing.every((m) => m.fault.faultType === 'ManagedObjectNotFound');
}

function refuseMissing(o: ObjectContent): void {
  const failed = o.missing[0];
  if (failed) {
    throw new VsphereFaultError('RetrievePropertiesEx', failed.fault.faultType, failed.fault.message, {
      details: { object: `${o.obj.type}:${o.obj.value}`, path: failed.path, ...failed.fault.details },
      hint: 'vCenter could not read part of the inventory; check the privileges of the Bascule account on this object.',
    });
  }
}

const idOrder = new Intl.Collator('en', { numeric: true });

function sortById<T extends { id: string }>(list: T[]): T[] {
  return list.sort((a, b) => idOrder.compare(a.id, b.id));
}

/** `[SAN-01] images/x.iso` → id of datastore SAN-01, when the backing did not name it. */
function datastoreOfPath(path: string, byName: Map<string, string>): string | null {
  const m = /^\[([^\]]+)\]/.exec(path);
  return m?.[1] === undefined ? null : (byName.get(m[1]) ?? null);
}

function req<T>(o: ObjectContent, path: string, decode: (v: XmlNode) => T): T {
  const v = o.props.get(path);
  if (v === undefined) throw new DecodeError(`${o.obj.type} ${o.obj.value}: no ${path}`);
  return decode(v);
}

function opt<T>(o: ObjectContent, path: string, decode: (v: XmlNode) => T, fallback: T): T {
  const v = o.props.get(path);
  return v === undefined ? fallback : decode(v);
}

const refValue = (where: string) => (v: XmlNode) => moRefOf(v, where).value;
const refValues = (where: string) => (v: XmlNode) =>
  moRefList(v, 'ManagedObjectReference', where).map((r) => r.value);

function decodeCdroms(devices: XmlNode): CdromBacking[] {
  const out: CdromBacking[] = [];
  for (const d of children(devices, 'VirtualDevice')) {
    if (xsiType(d) !== 'VirtualCdrom') continue;
    const backing = child(d, 'backing');
    const iso = xsiType(backing) === 'VirtualCdromIsoBackingInfo';
    out.push({
      datastore: iso ? (optMoRef(backing, 'datastore', 'VirtualCdrom.backing')?.value ?? null) : null,
      path: (iso ? optText(backing, 'fileName') : optText(backing, 'deviceName')) ?? '',
      connected: optBool(child(d, 'connectable'), 'connected', 'VirtualCdrom.connectable') ?? false,
    });
  }
  return out;
}

function decodeCustomValues(v: XmlNode): Array<[number, string]> {
  return children(v, 'CustomFieldValue').map((c) => [
    reqInt(c, 'key', 'CustomFieldValue'),
    optText(c, 'value') ?? '',
  ]);
}

function hasSnapshot(v: XmlNode): boolean {
  return children(v, 'rootSnapshotList').length > 0 || child(v, 'currentSnapshot') !== undefined;
}

function decodeVm(o: ObjectContent): InventoryVm & { customKeys: Array<[number, string]> } {
  const where = `VirtualMachine ${o.obj.value}`;
  return {
    id: o.obj.value,
    name: req(o, 'name', textOf),
    instanceUuid: opt(o, 'config.instanceUuid', textOf, ''),
    powerState: req(o, 'runtime.powerState', (v) =>
      oneOf<PowerState>(powerStates, textOf(v), `${where} powerState`),
    ),
    connectionState: req(o, 'runtime.connectionState', (v) =>
      oneOf<VmConnectionState>(vmConnectionStates, textOf(v), `${where} connectionState`),
    ),
    host: opt(o, 'runtime.host', refValue(`${where} runtime.host`), null),
    resourcePool: opt(o, 'resourcePool', refValue(`${where} resourcePool`), null),
    datastores: opt(o, 'datastore', refValues(`${where} datastore`), []),
    vmxPath: opt(o, 'summary.config.vmPathName', textOf, ''),
    numCpu: opt(o, 'config.hardware.numCPU', (v) => intOf(v, `${where} numCPU`), 0),
    memoryMb: opt(o, 'config.hardware.memoryMB', (v) => intOf(v, `${where} memoryMB`), 0),
    toolsRunning: opt(o, 'guest.toolsRunningStatus', (v) => textOf(v) === 'guestToolsRunning', false),
    cdroms: opt(o, 'config.hardware.device', decodeCdroms, []),
    hasSnapshots: opt(o, 'snapshot', hasSnapshot, false),
    template: opt(o, 'config.template', (v) => boolOf(v, `${where} template`), false),
    attributes: {},
    customKeys: opt(o, 'customValue', decodeCustomValues, []),
  };
}

function decodeHost(o: ObjectContent): InventoryHost & { datastoreRefs: string[] } {
  const where = `HostSystem ${o.obj.value}`;
  const cores = opt(o, 'summary.hardware.numCpuCores', (v) => intOf(v, `${where} numCpuCores`), 0);
  const mhz = opt(o, 'summary.hardware.cpuMhz', (v) => intOf(v, `${where} cpuMhz`), 0);
  const bytes = opt(o, 'summary.hardware.memorySize', (v) => intOf(v, `${where} memorySize`), 0);
  return {
    id: o.obj.value,
    name: req(o, 'name', textOf),
    cluster: null,
    connectionState: req(o, 'runtime.connectionState', (v) =>
      oneOf<HostConnectionState>(hostConnectionStates, textOf(v), `${where} connectionState`),
    ),
    inMaintenance: opt(o, 'runtime.inMaintenanceMode', (v) => boolOf(v, `${where} inMaintenanceMode`), false),
    cpuCores: cores,
    cpuMhz: cores * mhz,
    memoryMb: Math.floor(bytes / (1024 * 1024)),
    datastores: [],
    datastoreRefs: opt(o, 'datastore', refValues(`${where} datastore`), []),
  };
}

function decodeDatastore(o: ObjectContent): InventoryDatastore & { accessibleOn: Set<string> } {
  const where = `Datastore ${o.obj.value}`;
  const hosts: string[] = [];
  const accessibleOn = new Set<string>();
  for (const m of children(o.props.get('host'), 'DatastoreHostMount')) {
    const key = child(m, 'key');
    if (key === undefined) throw new DecodeError(`${where} host: DatastoreHostMount without key`);
    const host = moRefOf(key, `${where} host.key`).value;
    const info = child(m, 'mountInfo');
    if (optBool(info, 'mounted', `${where} mountInfo`) === false) continue;
    hosts.push(host);
    if (optBool(info, 'accessible', `${where} mountInfo`) !== false) accessibleOn.add(host);
  }
  const info = o.props.get('info');
  const vmfs = xsiType(info) === 'VmfsDatastoreInfo' ? child(info, 'vmfs') : undefined;
  return {
    id: o.obj.value,
    name: req(o, 'name', textOf),
    type: opt(o, 'summary.type', textOf, ''),
    capacityBytes: opt(o, 'summary.capacity', (v) => intOf(v, `${where} capacity`), 0),
    freeBytes: opt(o, 'summary.freeSpace', (v) => intOf(v, `${where} freeSpace`), 0),
    accessible: opt(o, 'summary.accessible', (v) => boolOf(v, `${where} accessible`), false),
    vmfsUuid: vmfs === undefined ? null : reqText(vmfs, 'uuid', `${where} info.vmfs`),
    hosts,
    accessibleOn,
  };
}

function decodeCluster(o: ObjectContent): InventoryCluster {
  const where = `ClusterComputeResource ${o.obj.value}`;
  const cfg = o.props.get('configurationEx');
  const das = child(cfg, 'dasConfig');
  const admission = child(das, 'admissionControlPolicy');
  const rules: AntiAffinityRule[] = [];
  for (const r of children(cfg, 'rule')) {
    if (xsiType(r) !== 'ClusterAntiAffinityRuleSpec') continue;
    rules.push({
      name: reqText(r, 'name', `${where} rule`),
      enabled: optBool(r, 'enabled', `${where} rule`) ?? false,
      vms: moRefList(r, 'vm', `${where} rule`).map((v) => v.value),
    });
  }
  const groups: VmGroup[] = [];
  for (const g of children(cfg, 'group')) {
    if (xsiType(g) !== 'ClusterVmGroup') continue;
    groups.push({
      name: reqText(g, 'name', `${where} group`),
      vms: moRefList(g, 'vm', `${where} group`).map((v) => v.value),
    });
  }
  return {
    id: o.obj.value,
    name: req(o, 'name', textOf),
    resourcePool: req(o, 'resourcePool', refValue(`${where} resourcePool`)),
    hosts: opt(o, 'host', refValues(`${where} host`), []),
    drsEnabled: optBool(child(cfg, 'drsConfig'), 'enabled', `${where} drsConfig`) ?? false,
    haEnabled: optBool(das, 'enabled', `${where} dasConfig`) ?? false,
    haHostFailuresTolerated:
      xsiType(admission) === 'ClusterFailoverLevelAdmissionControlPolicy'
        ? optInt(admission, 'failoverLevel', `${where} admissionControlPolicy`)
        : null,
    antiAffinityRules: rules,
    vmGroups: groups,
  };
}

async function collectOnce(
  session: VsphereSession,
  options: InventoryOptions,
  takenAt: string,
): Promise<Inventory> {
  const content = session.content;
  const view = await session.invoke(
    enc.createContainerView(content.viewManager, content.rootFolder, VIEW_TYPES, true),
    (res) => returnMoRef(res, 'CreateContainerView'),
    options,
  );
  const collector = new InventoryCollector();
  try {
    const specs = inventorySpecs(view, content.customFieldsManager);
    const progress = { pages: 0, objects: 0 };
    const paging = { ...options, maxObjects: options.maxObjects ?? 1_000, parse: INVENTORY_PARSE };
    for await (const page of retrievePages(session, specs, paging)) {
      for (const o of page) collector.add(o);
      progress.pages++;
      progress.objects += page.length;
      await options.onPage?.({ ...progress });
    }
    await readDevices(session, collector, view, paging);
    // Strings cut from the answer can keep the whole page text alive (V8 slices share their
    // parent); a deep copy lets the megabytes of XML go once the snapshot is built.
    return structuredClone(collector.build(content.about.instanceUuid, takenAt));
  } finally {
    try {
      await session.invoke(enc.destroyView(view), () => undefined, options);
    } catch (err) {
      // The view dies with its session anyway; a failed clean-up must not mask the real outcome.
      session.logger?.warn({ err, view: view.value }, 'DestroyView failed');
    }
  }
}

/** Pass 2; when a VM named in it has gone meanwhile and vCenter faults the whole call, through the view. */
async function readDevices(
  session: VsphereSession,
  collector: InventoryCollector,
  view: MoRef,
  paging: PagingOptions,
): Promise<void> {
  const wanted = vmsNeedingDevices(collector.vms);
  if (wanted.length === 0) return;
  try {
    for await (const page of retrievePages(session, deviceSpecs(wanted), paging)) {
      for (const o of page) collector.addDevices(o);
    }
  } catch (err) {
    if (!isFault(err, 'ManagedObjectNotFound')) throw err;
    // Same answer as the fast path would have given: devices of the same VMs, no more.
    const only = new Set(wanted);
    for await (const page of retrievePages(session, viewDeviceSpecs(view), paging)) {
      for (const o of page) collector.addDevices(o, only);
    }
  }
}

/**
 * Reads the whole inventory. The view and the paging token belong to the session: if the session
 * was renewed mid-read (expiry, vCenter restart), they are gone, so the read starts over once.
 */
export async function readInventory(
  session: VsphereSession,
  options: InventoryOptions = {},
): Promise<Inventory> {
  const generation = session.generation;
  try {
    try {
      return await collectOnce(session, options, new Date().toISOString());
    } catch (err) {
      if (!(err instanceof VsphereFaultError)) throw err;
      // A view that vanished without a visible expiry: check the session before giving up.
      const renewed =
        session.generation !== generation ||
        (isFault(err, 'ManagedObjectNotFound') && (await session.ensureActive(options)));
      if (!renewed) throw err;
      session.logger?.warn(
        { err: err.message },
        'vSphere session renewed during the inventory; reading it again',
      );
      return await collectOnce(session, options, new Date().toISOString());
    }
  } catch (err) {
    throw asInventoryError(err);
  }
}

function asInventoryError(err: unknown): unknown {
  if (err instanceof DecodeError) {
    return new VsphereError('VSPHERE_PROTOCOL', `inventory: unexpected value from vCenter: ${err.reason}`, {
      method: 'RetrievePropertiesEx',
      hint: 'This vCenter reports a value Bascule does not know; report it with the vCenter version.',
      cause: err,
    });
  }
  return err;
}
