import type { Inventory } from '../../domain/inventory.js';
import { DecodeError, moRefList, type ObjectContent, returnMoRef, textOf } from './decode.js';
import * as enc from './encode.js';
import { VsphereError, VsphereFaultError } from './errors.js';
import { InventoryCollector, VIEW_TYPES, vanished, viewSpec } from './inventory.js';
import { retrieveAll } from './retrieve.js';
import { isFault, type VsphereSession } from './session.js';
import type { CallOptions } from './transport.js';
import type { MoRef, PropertyFilterSpec } from './types.js';

// What a plan step reads before and after acting: the same Inventory shape as readInventory, but
// only the VMs the step can be about, with only the properties the steps use. A full inventory
// of a real site is thousands of VMs with a dozen properties each, read before and after every
// step of every unit; a step needs a handful of VMs.
//
// Two reads. Pass 1 goes over the session's ContainerView: every VM's name only, and the hosts, clusters,
// datacenters and datastores with the few properties the steps use (a few hundred small objects:
// the site map, mount tables and VMFS UUIDs need them all). Pass 2 reads the VMs in scope by
// moref: every VM whose name is one of the step's (so "registered twice" is seen wherever the
// second entry is), and every VM using one of the step's datastores (so a .vmx registered under
// another name, or a VM still using a datastore to unmount, is seen too). A VM on none of those
// datastores and under another name cannot be one of the step's VMs nor hold its files.

export interface InventoryScope {
  /** Names of the VMs the step acts on. */
  vmNames: readonly string[];
  /** Names of the datastores whose VMs matter (their .vmx files, their users). */
  datastoreNames: readonly string[];
}

const SCOPE_VM_PATHS = [
  'name',
  'config.template',
  'summary.config.vmPathName',
  'runtime.powerState',
  'runtime.connectionState',
  'runtime.host',
  'resourcePool',
  'datastore',
  'guest.toolsRunningStatus',
] as const;

const SCOPE_HOST_PATHS = [
  'name',
  'runtime.connectionState',
  'runtime.inMaintenanceMode',
  'datastore',
] as const;
const SCOPE_DATASTORE_PATHS = ['name', 'summary.type', 'summary.accessible', 'info', 'host', 'vm'] as const;
const SCOPE_CLUSTER_PATHS = ['name', 'resourcePool', 'host'] as const;
const SCOPE_DATACENTER_PATHS = ['name', 'vmFolder'] as const;

function viewSpecs(view: MoRef): PropertyFilterSpec[] {
  return [
    viewSpec(view, [
      { type: 'VirtualMachine', pathSet: ['name'] },
      { type: 'HostSystem', pathSet: SCOPE_HOST_PATHS },
      { type: 'Datastore', pathSet: SCOPE_DATASTORE_PATHS },
      { type: 'ClusterComputeResource', pathSet: SCOPE_CLUSTER_PATHS },
      { type: 'Datacenter', pathSet: SCOPE_DATACENTER_PATHS },
    ]),
  ];
}

// One ContainerView per session, kept: vCenter keeps a view's contents current as objects come
// and go, and making and destroying one around every read would add two round trips to every
// step. It dies with its session; a new login (a new generation) makes a new one.
const views = new WeakMap<VsphereSession, { generation: number; view: Promise<MoRef> }>();

function sessionView(session: VsphereSession, options: CallOptions): Promise<MoRef> {
  const known = views.get(session);
  if (known !== undefined && known.generation === session.generation) return known.view;
  const content = session.content;
  const view = session.invoke(
    enc.createContainerView(content.viewManager, content.rootFolder, VIEW_TYPES, true),
    (res) => returnMoRef(res, 'CreateContainerView'),
    // Shared by the reads to come: one caller cancelling must not cancel the others' view.
    options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
  );
  const entry = { generation: session.generation, view };
  views.set(session, entry);
  view.catch(() => {
    if (views.get(session) === entry) views.delete(session);
  });
  return view;
}

function forgetView(session: VsphereSession, view: MoRef): void {
  const entry = views.get(session);
  void entry?.view
    .then((v) => {
      if (v.value === view.value && views.get(session) === entry) views.delete(session);
    })
    .catch(() => undefined);
}

async function scopedOnce(
  session: VsphereSession,
  scope: InventoryScope,
  options: CallOptions,
): Promise<Inventory> {
  const takenAt = new Date().toISOString();
  const generation = session.generation;
  const view = await sessionView(session, options);
  let objects: ObjectContent[];
  try {
    objects = await retrieveAll(session, viewSpecs(view), options);
  } catch (err) {
    if (isFault(err, 'ManagedObjectNotFound')) forgetView(session, view);
    throw err;
  }
  if (session.generation !== generation || !objects.some((o) => o.obj.type === 'Datacenter')) {
    // A re-login happened during the read, so the view may have belonged to the old session and
    // answered nothing: never take that for an empty vCenter.
    forgetView(session, view);
    throw new VsphereFaultError(
      'RetrievePropertiesEx',
      'ManagedObjectNotFound',
      'the inventory view is gone',
      {
        details: { view: view.value },
      },
    );
  }
  const collector = new InventoryCollector();
  const names = new Set(scope.vmNames);
  const datastores = new Set(scope.datastoreNames);
  const wanted = new Set<string>();
  for (const o of objects) {
    if (o.obj.type === 'VirtualMachine') {
      const name = o.props.get('name');
      if (name !== undefined && names.has(textOf(name))) wanted.add(o.obj.value);
      continue;
    }
    if (o.obj.type === 'Datastore') {
      const name = o.props.get('name');
      if (name !== undefined && datastores.has(textOf(name))) {
        for (const vm of moRefList(o.props.get('vm'), 'ManagedObjectReference', 'Datastore.vm')) {
          wanted.add(vm.value);
        }
      }
    }
    collector.add(o);
  }
  if (wanted.size > 0) {
    const spec: PropertyFilterSpec = {
      propSet: [{ type: 'VirtualMachine', pathSet: SCOPE_VM_PATHS }],
      objectSet: [...wanted].map((value) => ({ obj: { type: 'VirtualMachine', value } })),
    };
    for (const o of await retrieveAll(session, [spec], options)) if (!vanished(o)) collector.add(o);
  }
  return collector.build(session.content.about.instanceUuid, takenAt);
}

/** The inventory as far as one step is concerned (see the top of this file). */
export async function readScopedInventory(
  session: VsphereSession,
  scope: InventoryScope,
  options: CallOptions = {},
): Promise<Inventory> {
  try {
    try {
      return await scopedOnce(session, scope, options);
    } catch (err) {
      // A VM removed between the two passes (vCenter refuses the whole pass 2 then), or the view
      // gone with a session that expired without saying so: log in if needed, read again once.
      if (!isFault(err, 'ManagedObjectNotFound')) throw err;
      await session.ensureActive(options);
      return await scopedOnce(session, scope, options);
    }
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    throw new VsphereError('VSPHERE_PROTOCOL', `inventory: unexpected value from vCenter: ${err.reason}`, {
      method: 'RetrievePropertiesEx',
      hint: 'This vCenter reports a value Bascule does not know; report it with the vCenter version.',
      cause: err,
    });
  }
}
