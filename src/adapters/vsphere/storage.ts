import { moRefOf, resolutionResultsOf, unresolvedVolumesOf, vmfsMountsOf } from './decode.js';
import * as enc from './encode.js';
import { VsphereError, VsphereFaultError } from './errors.js';
import { readObject } from './retrieve.js';
import type { VsphereSession } from './session.js';
import type { CallOptions } from './transport.js';
import type {
  HostRef,
  MoRef,
  OperationOutcome,
  UnresolvedVmfsVolume,
  VmfsMount,
  VmfsResolution,
  VmfsResolutionResult,
} from './types.js';

// Host storage through HostStorageSystem: rescans, VMFS mount/unmount, and mounting the replica
// of a LUN that a failover made visible (an "unresolved" VMFS copy). Rescans have no goal state
// and are always sent (repeating one is harmless); mount, unmount and resolve read the host's
// mount table first and do nothing when it already says what we want.

/** Rescans can take minutes on a host with many paths; one call waits that long. */
const rescanTimeoutMs = 10 * 60_000;

export type StorageOptions = CallOptions;

// A host's HostStorageSystem is created with the host and lives as long as its moref: looked up
// once per session and host, not before every call (a mount is otherwise twice the round trips).
const storageSystems = new WeakMap<VsphereSession, Map<string, MoRef>>();

async function storageSystemOf(
  session: VsphereSession,
  host: HostRef,
  method: string,
  options: StorageOptions,
): Promise<MoRef> {
  let known = storageSystems.get(session);
  if (known === undefined) {
    known = new Map();
    storageSystems.set(session, known);
  }
  const cached = known.get(host.value);
  if (cached !== undefined) return cached;
  const ref = await readStorageSystem(session, host, method, options);
  known.set(host.value, ref);
  return ref;
}

async function readStorageSystem(
  session: VsphereSession,
  host: HostRef,
  method: string,
  options: StorageOptions,
): Promise<MoRef> {
  const props = await readObject(session, host, ['configManager.storageSystem'], options);
  const ref = props?.get('configManager.storageSystem');
  if (ref === undefined) {
    throw new VsphereFaultError(
      method,
      'ManagedObjectNotFound',
      `host ${host.value} has no storage system in vCenter`,
      {
        details: { host: host.value },
      },
    );
  }
  return moRefOf(ref, `HostSystem ${host.value} configManager.storageSystem`);
}

async function rescan(
  session: VsphereSession,
  host: HostRef,
  method: 'RescanAllHba' | 'RescanVmfs',
  options: StorageOptions,
): Promise<OperationOutcome> {
  const ss = await storageSystemOf(session, host, method, options);
  const call = method === 'RescanAllHba' ? enc.rescanAllHba(ss) : enc.rescanVmfs(ss);
  await session.invoke(call, () => undefined, { timeoutMs: rescanTimeoutMs, ...options });
  return { changed: true, detail: method === 'RescanAllHba' ? 'HBAs rescanned' : 'VMFS rescanned' };
}

export function rescanAllHba(
  session: VsphereSession,
  host: HostRef,
  options: StorageOptions = {},
): Promise<OperationOutcome> {
  return rescan(session, host, 'RescanAllHba', options);
}

export function rescanVmfs(
  session: VsphereSession,
  host: HostRef,
  options: StorageOptions = {},
): Promise<OperationOutcome> {
  return rescan(session, host, 'RescanVmfs', options);
}

async function mountsOf(session: VsphereSession, ss: MoRef, options: StorageOptions): Promise<VmfsMount[]> {
  const props = await readObject(session, ss, ['fileSystemVolumeInfo.mountInfo'], options);
  const mountInfo = props?.get('fileSystemVolumeInfo.mountInfo');
  return mountInfo === undefined ? [] : vmfsMountsOf(mountInfo);
}

/** VMFS volumes the host knows, mounted or not. */
export async function vmfsMounts(
  session: VsphereSession,
  host: HostRef,
  options: StorageOptions = {},
): Promise<VmfsMount[]> {
  return mountsOf(session, await storageSystemOf(session, host, 'RetrievePropertiesEx', options), options);
}

/**
 * Mounts or unmounts a VMFS volume on one host: reads the host's mount table first (a no-op when
 * the goal holds) and after the call (a host that still shows the old state is an error). The
 * storage system is looked up once for the three calls.
 */
async function setMounted(
  session: VsphereSession,
  host: HostRef,
  vmfsUuid: string,
  mount: boolean,
  options: StorageOptions,
): Promise<OperationOutcome> {
  const method = mount ? 'MountVmfsVolume' : 'UnmountVmfsVolume';
  const ss = await storageSystemOf(session, host, method, options);
  const find = async () => (await mountsOf(session, ss, options)).find((m) => m.vmfsUuid === vmfsUuid);
  const before = await find();
  if ((before?.mounted === true) === mount) {
    return { changed: false, detail: mount ? 'already mounted' : 'not mounted' };
  }
  const call = mount ? enc.mountVmfsVolume(ss, vmfsUuid) : enc.unmountVmfsVolume(ss, vmfsUuid);
  await session.invoke(call, () => undefined, options);
  const after = await find();
  if ((after?.mounted === true) !== mount) {
    throw new VsphereError(
      'VSPHERE_TASK_FAILED',
      mount
        ? `MountVmfsVolume: ${vmfsUuid} is not mounted on ${host.value} after the call`
        : `UnmountVmfsVolume: ${before?.name ?? vmfsUuid} is still mounted on ${host.value}`,
      {
        method,
        retryable: true,
        hint: mount
          ? 'Rescan the host HBAs and check the volume in the vSphere client.'
          : 'The host still lists the volume as mounted; check the host storage in the vSphere client.',
        details: { host: host.value, vmfsUuid },
      },
    );
  }
  return {
    changed: true,
    detail: `${mount ? 'mounted' : 'unmounted'} ${(mount ? after : before)?.name ?? vmfsUuid}`,
  };
}

export function unmountVmfs(
  session: VsphereSession,
  host: HostRef,
  vmfsUuid: string,
  options: StorageOptions = {},
): Promise<OperationOutcome> {
  return setMounted(session, host, vmfsUuid, false, options);
}

export function mountVmfs(
  session: VsphereSession,
  host: HostRef,
  vmfsUuid: string,
  options: StorageOptions = {},
): Promise<OperationOutcome> {
  return setMounted(session, host, vmfsUuid, true, options);
}

export async function queryUnresolvedVmfs(
  session: VsphereSession,
  host: HostRef,
  options: StorageOptions = {},
): Promise<UnresolvedVmfsVolume[]> {
  const ss = await storageSystemOf(session, host, 'QueryUnresolvedVmfsVolume', options);
  return session.invoke(enc.queryUnresolvedVmfsVolume(ss), unresolvedVolumesOf, options);
}

/** `/vmfs/devices/disks/naa.x:1` → `naa.x`, the name the mount table uses for an extent. */
function diskName(devicePath: string): string {
  const base = devicePath.slice(devicePath.lastIndexOf('/') + 1);
  const colon = base.indexOf(':');
  return colon < 0 ? base : base.slice(0, colon);
}

/**
 * Mounts an unresolved VMFS copy (a replica LUN after failover): `forceMount` keeps its UUID and
 * name, `resignature` gives it a new UUID and a `snap-…` name. A no-op when a VMFS on those
 * devices is already mounted on the host.
 */
export async function resolveUnresolvedVmfs(
  session: VsphereSession,
  host: HostRef,
  devicePaths: readonly string[],
  resolution: VmfsResolution,
  options: StorageOptions = {},
): Promise<OperationOutcome & VmfsResolutionResult> {
  const method = 'ResolveMultipleUnresolvedVmfsVolumes';
  const disks = new Set(devicePaths.map(diskName));
  const mounted = (await vmfsMounts(session, host, options)).find(
    (m) => m.mounted && m.extents.some((e) => disks.has(e)),
  );
  if (mounted !== undefined) {
    return {
      changed: false,
      detail: `already mounted as ${mounted.name}`,
      devicePaths: [...devicePaths],
      vmfsUuid: mounted.vmfsUuid,
      name: mounted.name,
    };
  }
  const unresolved = await queryUnresolvedVmfs(session, host, options);
  const visible = unresolved.some((v) => v.extents.some((e) => disks.has(diskName(e.devicePath))));
  if (!visible) {
    throw new VsphereFaultError(
      method,
      'NotFound',
      `no unresolved VMFS volume on ${[...disks].join(', ')} on host ${host.value}`,
      {
        details: { host: host.value, devicePaths },
        hint: 'The replica LUN is not visible to this host yet: check that the array presents it, rescan the HBAs, then retry.',
      },
    );
  }
  const ss = await storageSystemOf(session, host, method, options);
  const [result] = await session.invoke(
    enc.resolveMultipleUnresolvedVmfsVolumes(ss, [
      { extentDevicePaths: devicePaths, uuidResolution: resolution },
    ]),
    resolutionResultsOf,
    { timeoutMs: rescanTimeoutMs, ...options },
  );
  if (result?.fault != null) {
    throw new VsphereFaultError(method, result.fault.faultType, result.fault.message, {
      details: { host: host.value, devicePaths, ...result.fault.details },
    });
  }
  return {
    changed: true,
    detail: `${resolution === 'forceMount' ? 'force-mounted' : 'resignatured'} ${result?.name ?? ''}`.trim(),
    devicePaths: [...devicePaths],
    vmfsUuid: result?.vmfsUuid ?? null,
    name: result?.name ?? null,
  };
}
