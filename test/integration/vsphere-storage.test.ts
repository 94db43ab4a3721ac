import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type VsphereClient, VsphereError, VsphereFaultError } from '../../src/adapters/vsphere/index.js';
import { type InventoryIndex, indexInventory } from '../../src/domain/inventory.js';
import { startVsphereLab, type VsphereLab } from '../support/vsphere-lab.js';

// Host storage against the small lab: rescans, VMFS unmount/mount, and mounting a replica LUN
// that the array made visible on the other site (force-mount keeps the UUID, resignature makes a
// snap- copy).

let lab: VsphereLab;
let client: VsphereClient;
let idx: InventoryIndex;

beforeAll(async () => {
  lab = await startVsphereLab();
  client = await lab.connect();
  idx = indexInventory(await client.inventory());
});

afterAll(async () => {
  await client?.close();
  await lab?.stop();
});

function hostId(name: string): string {
  const h = [...idx.host.values()].find((x) => x.name === name);
  if (!h) throw new Error(`no host ${name}`);
  return h.id;
}

function uuidOf(datastore: string): string {
  const d = lab.model.datastores.find((x) => x.name === datastore);
  if (!d) throw new Error(`no datastore ${datastore}`);
  return d.vmfsUuid;
}

async function rejection(p: Promise<unknown>): Promise<VsphereError> {
  const err = await p.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  if (!(err instanceof VsphereError)) throw err;
  return err;
}

describe('rescans', () => {
  it('rescans HBAs and VMFS on a host', async () => {
    const host = hostId('esx-site5-01');
    expect((await client.rescanAllHba(host)).changed).toBe(true);
    expect((await client.rescanVmfs(host)).changed).toBe(true);
    const mounts = await client.vmfsMounts(host);
    expect(mounts.map((m) => m.vmfsUuid)).toContain(uuidOf('SAN-SITE5-PROD-01'));
    expect(mounts.every((m) => m.mounted && m.accessible)).toBe(true);
  });
});

describe('unmount and mount', () => {
  it('unmounts an unused VMFS, mounts it back, each a no-op the second time', async () => {
    const host = hostId('esx-site5-01');
    const uuid = uuidOf('ZERTO-RECOVERY-SITE5');
    expect((await client.unmountVmfs(host, uuid)).changed).toBe(true);
    expect((await client.vmfsMounts(host)).find((m) => m.vmfsUuid === uuid)?.mounted ?? false).toBe(false);
    expect((await client.unmountVmfs(host, uuid)).changed).toBe(false);

    expect((await client.mountVmfs(host, uuid)).changed).toBe(true);
    expect((await client.vmfsMounts(host)).find((m) => m.vmfsUuid === uuid)?.mounted).toBe(true);
    expect((await client.mountVmfs(host, uuid)).changed).toBe(false);
  });

  it('refuses to unmount a datastore holding VMs registered on the host', async () => {
    const err = await rejection(client.unmountVmfs(hostId('esx-site5-01'), uuidOf('SAN-SITE5-PROD-01')));
    expect(err).toBeInstanceOf(VsphereFaultError);
    expect((err as VsphereFaultError).faultType).toBe('ResourceInUse');
    expect(err.method).toBe('UnmountVmfsVolume');
    expect(err.retryable).toBe(true);
  });

  it('reports a volume the host cannot see as NotFound', async () => {
    const err = await rejection(client.mountVmfs(hostId('esx-lognes-01'), uuidOf('SAN-SITE5-PROD-01')));
    expect((err as VsphereFaultError).faultType).toBe('NotFound');
  });
});

describe('unresolved VMFS copies after a failover', () => {
  it('force-mounts the replica with the same UUID, then is a no-op', async () => {
    const host = hostId('esx-lognes-01');
    const uuid = uuidOf('SAN-SITE5-PROD-02');
    await lab.control('/storage/present', { datastore: 'SAN-SITE5-PROD-02', site: 'lognes' });
    await client.rescanAllHba(host);
    const unresolved = await client.queryUnresolvedVmfs(host);
    const copy = unresolved.find((v) => v.vmfsUuid === uuid);
    expect(copy).toMatchObject({ vmfsLabel: 'SAN-SITE5-PROD-02', resolvable: true });
    const paths = copy?.extents.map((e) => e.devicePath) ?? [];
    expect(paths).toHaveLength(1);

    const mounted = await client.resolveUnresolvedVmfs(host, paths, 'forceMount');
    expect(mounted).toMatchObject({ changed: true, vmfsUuid: uuid, name: 'SAN-SITE5-PROD-02' });
    expect((await client.queryUnresolvedVmfs(host)).some((v) => v.vmfsUuid === uuid)).toBe(false);
    const again = await client.resolveUnresolvedVmfs(host, paths, 'forceMount');
    expect(again).toMatchObject({ changed: false, vmfsUuid: uuid });

    const ds = indexInventory(await client.inventory()).datastoreByName.get('SAN-SITE5-PROD-02');
    expect(ds?.hosts).toContain(host);
    expect(ds?.vmfsUuid).toBe(uuid);
  });

  it('resignatures a copy into a new snap- datastore, then is a no-op', async () => {
    const host = hostId('esx-site5-02');
    const uuid = uuidOf('SAN-LOGNES-PROD-02');
    await lab.control('/storage/present', { datastore: 'SAN-LOGNES-PROD-02', site: 'site5' });
    await client.rescanAllHba(host);
    const copy = (await client.queryUnresolvedVmfs(host)).find((v) => v.vmfsUuid === uuid);
    const paths = copy?.extents.map((e) => e.devicePath) ?? [];
    expect(paths).toHaveLength(1);

    const result = await client.resolveUnresolvedVmfs(host, paths, 'resignature');
    expect(result.changed).toBe(true);
    expect(result.vmfsUuid).not.toBe(uuid);
    expect(result.name).toMatch(/^snap-[0-9a-f]+-SAN-LOGNES-PROD-02$/);
    const again = await client.resolveUnresolvedVmfs(host, paths, 'resignature');
    expect(again).toMatchObject({ changed: false, vmfsUuid: result.vmfsUuid, name: result.name });
  });

  it('says to rescan when the copy is not visible on the host', async () => {
    const host = hostId('esx-lognes-02');
    const err = await rejection(
      client.resolveUnresolvedVmfs(
        host,
        ['/vmfs/devices/disks/naa.60050768ffffffffffffffffffffff:1'],
        'forceMount',
      ),
    );
    expect((err as VsphereFaultError).faultType).toBe('NotFound');
    expect(err.hint).toMatch(/rescan/);
  });
});
