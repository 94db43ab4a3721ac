import { readFile } from 'node:fs/promises';
import { ConfigError } from '../../domain/errors.js';
import type { Inventory } from '../../domain/inventory.js';
import { type InventoryOptions, readInventory } from './inventory.js';
import * as ops from './operations.js';
import { type VsphereConnectOptions, VsphereSession } from './session.js';
import * as storage from './storage.js';
import { type InventoryScope, readScopedInventory } from './targeted.js';
import type { CallOptions, VsphereTls } from './transport.js';
import type {
  HostRef,
  MoRef,
  OperationOutcome,
  PowerOnManyOutcome,
  RegisterOutcome,
  ShutdownOutcome,
  UnresolvedVmfsVolume,
  VmfsMount,
  VmfsResolution,
  VmfsResolutionResult,
  VmRef,
} from './types.js';
import { moRef } from './types.js';

// The adapter's face for the rest of Bascule: object ids as the Inventory carries them (`vm-42`,
// `host-7`), turned into typed MoRefs here, so callers never build XML-level references.

const vmRef = (id: string): VmRef => moRef('VirtualMachine', id);
const hostRef = (id: string): HostRef => moRef('HostSystem', id);

/** TLS trust from the site's `vcenter` config: a CA file, a pinned thumbprint, or the system store. */
export async function tlsFromConfig(vcenter: {
  caFile?: string | undefined;
  thumbprint?: string | undefined;
}): Promise<VsphereTls> {
  const tls: VsphereTls = {};
  if (vcenter.thumbprint !== undefined) tls.thumbprint = vcenter.thumbprint;
  if (vcenter.caFile !== undefined) {
    try {
      tls.caPem = await readFile(vcenter.caFile, 'utf8');
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new ConfigError(
        `cannot read vcenter.caFile ${vcenter.caFile}: ${reason}`,
        [`vcenter.caFile: ${reason}`],
        {
          cause: err,
        },
      );
    }
  }
  return tls;
}

export class VsphereClient {
  private constructor(readonly session: VsphereSession) {}

  static async connect(
    options: VsphereConnectOptions,
    callOptions: CallOptions = {},
  ): Promise<VsphereClient> {
    return new VsphereClient(await VsphereSession.connect(options, callOptions));
  }

  /** vCenter instance UUID, as stamped on inventories. */
  get vcenter(): string {
    return this.session.content.about.instanceUuid;
  }

  inventory(options: InventoryOptions = {}): Promise<Inventory> {
    return readInventory(this.session, options);
  }

  /** Only what a step about these VMs and datastores needs (see targeted.ts). */
  scopedInventory(scope: InventoryScope, options: CallOptions = {}): Promise<Inventory> {
    return readScopedInventory(this.session, scope, options);
  }

  shutdownGuest(vm: string, options: ops.ShutdownOptions): Promise<ShutdownOutcome> {
    return ops.shutdownGuest(this.session, vmRef(vm), options);
  }

  powerOn(vm: string, options: ops.OperationOptions & { host?: string } = {}): Promise<OperationOutcome> {
    const { host, ...rest } = options;
    return ops.powerOn(this.session, vmRef(vm), host === undefined ? rest : { ...rest, host: hostRef(host) });
  }

  powerOnMany(
    datacenter: string,
    vms: readonly string[],
    options: ops.OperationOptions = {},
  ): Promise<PowerOnManyOutcome> {
    return ops.powerOnMany(this.session, moRef('Datacenter', datacenter), vms.map(vmRef), options);
  }

  unregister(vm: string, options: ops.OperationOptions = {}): Promise<OperationOutcome> {
    return ops.unregister(this.session, vmRef(vm), options);
  }

  register(
    vmxPath: string,
    target: { datacenter: string; folder: string; pool: string; host?: string; name?: string },
    options: ops.OperationOptions = {},
  ): Promise<RegisterOutcome> {
    return ops.register(this.session, vmxPath, {
      ...options,
      datacenter: moRef('Datacenter', target.datacenter),
      folder: moRef('Folder', target.folder),
      pool: moRef('ResourcePool', target.pool),
      ...(target.host === undefined ? {} : { host: hostRef(target.host) }),
      ...(target.name === undefined ? {} : { name: target.name }),
    });
  }

  relocate(
    vm: string,
    target: { host: string; pool: string; folder?: string },
    options: ops.OperationOptions = {},
  ): Promise<OperationOutcome> {
    const folder: MoRef | undefined =
      target.folder === undefined ? undefined : moRef('Folder', target.folder);
    return ops.relocate(this.session, vmRef(vm), {
      ...options,
      host: hostRef(target.host),
      pool: moRef('ResourcePool', target.pool),
      ...(folder === undefined ? {} : { folder }),
    });
  }

  rescanAllHba(host: string, options: CallOptions = {}): Promise<OperationOutcome> {
    return storage.rescanAllHba(this.session, hostRef(host), options);
  }

  rescanVmfs(host: string, options: CallOptions = {}): Promise<OperationOutcome> {
    return storage.rescanVmfs(this.session, hostRef(host), options);
  }

  vmfsMounts(host: string, options: CallOptions = {}): Promise<VmfsMount[]> {
    return storage.vmfsMounts(this.session, hostRef(host), options);
  }

  unmountVmfs(host: string, vmfsUuid: string, options: CallOptions = {}): Promise<OperationOutcome> {
    return storage.unmountVmfs(this.session, hostRef(host), vmfsUuid, options);
  }

  mountVmfs(host: string, vmfsUuid: string, options: CallOptions = {}): Promise<OperationOutcome> {
    return storage.mountVmfs(this.session, hostRef(host), vmfsUuid, options);
  }

  queryUnresolvedVmfs(host: string, options: CallOptions = {}): Promise<UnresolvedVmfsVolume[]> {
    return storage.queryUnresolvedVmfs(this.session, hostRef(host), options);
  }

  resolveUnresolvedVmfs(
    host: string,
    devicePaths: readonly string[],
    resolution: VmfsResolution,
    options: CallOptions = {},
  ): Promise<OperationOutcome & VmfsResolutionResult> {
    return storage.resolveUnresolvedVmfs(this.session, hostRef(host), devicePaths, resolution, options);
  }

  logout(options: CallOptions = {}): Promise<void> {
    return this.session.logout(options);
  }

  /** Logs out and closes the connection pool. */
  close(options: CallOptions = {}): Promise<void> {
    return this.session.close(options);
  }
}
