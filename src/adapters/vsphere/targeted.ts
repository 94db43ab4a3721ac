import type { Inventory } from '../../domain/inventory.js';
import { DecodeError, moRefList, type ObjectContent, returnMoRef, textOf } from './decode.js';
import * as enc from './encode.js';
import { VsphereError } from './errors.js';
import { InventoryCollector, VIEW_TYPES } from './inventory.js';
import { retrieveAll } from './retrieve.js';
import { isFault, type VsphereSession } from './session.js';
import type { CallOptions } from './transport.js';
import type { MoRef, PropertyFilterSpec } from './types.js';

// What a plan step reads before and after acting: the same Inventory shape as readInventory, but
// only the VMs the step can be about, with only the properties the steps use. A full inventory
// of a real site is thousands of VMs with a dozen properties each, read before and after every
// step of every unit; a step needs a handful of VMs.
//
// Two reads. Pass 1 goes over a ContainerView: every VM's name only, and the hosts, clusters,
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
    {
      propSet: [
        { type: 'VirtualMachine', pathSet: ['name'] },
        { type: 'HostSystem', pathSet: SCOPE_HOST_PATHS },
        { type: 'Datastore', pathSet: SCOPE_DATASTORE_PATHS },
        { type: 'ClusterComputeResource', pathSet: SCOPE_CLUSTER_PATHS },
        { type: 'Datacenter', pathSet: SCOPE_DATACENTER_PATHS },
      ],
      objectSet: [
        {
          obj: view,
          skip: true,
          selectSet: [
            { kind: 'TraversalSpec', name: 'view', type: 'ContainerView', path: 'view', skip: false },
          ],
        },
      ],
    },
  ];
}

/** A VM removed between the two passes is simply not registered any more. */
function gone(o: ObjectContent): boolean {
  return o.missing.length > 0 && o.missing.every((m) => m.fault.faultType === 'ManagedObjectNotFound');
}

async function scopedOnce(
  session: VsphereSession,
  scope: InventoryScope,
  options: CallOptions,
): Promise<Inventory> {
  const takenAt = new Date().toISOString();
  const content = session.content;
  // A view of its own per read: a view kept for the session is not seen to follow new objects
  // (a VM registered after it was made) everywhere, and missing one is what these reads are for.
  const view = await session.invoke(
    enc.createContainerView(content.viewManager, content.rootFolder, VIEW_TYPES, true),
    (res) => returnMoRef(res, 'CreateContainerView'),
    options,
  );
  let destroyed: Promise<void> | null = null;
  const destroy = () => {
    destroyed ??= session
      .invoke(enc.destroyView(view), () => undefined, options)
      .catch((err: unknown) => {
        // A view left behind dies with its session; not worth failing the read for.
        session.logger?.warn({ err }, 'DestroyView failed');
      });
    return destroyed;
  };
  try {
    const collector = new InventoryCollector();
    const names = new Set(scope.vmNames);
    const datastores = new Set(scope.datastoreNames);
    const wanted = new Set<string>();
    for (const o of await retrieveAll(session, viewSpecs(view), options)) {
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
    // Pass 2 does not need the view: it is released meanwhile.
    void destroy();
    if (wanted.size > 0) {
      const spec: PropertyFilterSpec = {
        propSet: [{ type: 'VirtualMachine', pathSet: SCOPE_VM_PATHS }],
        objectSet: [...wanted].map((value) => ({ obj: { type: 'VirtualMachine', value } })),
      };
      for (const o of await retrieveAll(session, [spec], options)) if (!gone(o)) collector.add(o);
    }
    return collector.build(content.about.instanceUuid, takenAt);
  } finally {
    await destroy();
  }
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
