import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLabModel, type LabModel } from '../../lab/model.js';
import { VcsimControlClient } from '../../lab/vcsim/control-client.js';
import { startVcsim, type VcsimHandle } from '../../lab/vcsim/index.js';
import { type MoRef, RawSoapClient, refXml, textXml } from '../../lab/vcsim/raw-soap.js';

// A cold switchover of one Storwize datastore of the small lab, done by hand over vim25 the way an
// operator (and later Bascule) does it, with the control API standing in for the array switch.

let dir: string;
let vc: VcsimHandle;
let soap: RawSoapClient;
let control: VcsimControlClient;
const model: LabModel = buildLabModel({ size: 'small' });
const [source, destination] = model.sites as [string, string];

function lab(path: string, body?: unknown): Promise<unknown> {
  return body === undefined ? control.get(path) : control.post(path, body);
}

interface LabState {
  vms: Array<{
    name: string;
    host: string | null;
    site: string | null;
    powerState: string | null;
    registered: boolean;
    numCpu: number;
    memoryMb: number;
    datastores: string[];
  }>;
  datastores: Array<{ name: string; moref: string; mountedOn: string[]; accessible: boolean }>;
  unresolved: Array<{ host: string; datastore: string; vmfsUuid: string; devicePath: string }>;
}

async function task(method: string, self: MoRef, inner = ''): Promise<void> {
  const ref = (await soap.call(method, self, inner)).req('returnval').moref();
  const res = await soap.waitTask(ref);
  if (res.state !== 'success')
    throw new Error(`${method} on ${self.value}: ${res.errorType}: ${res.errorMessage}`);
}

async function storageSystem(host: MoRef): Promise<MoRef> {
  const ref = (await soap.prop(host, 'configManager.storageSystem'))?.moref();
  if (!ref) throw new Error(`${host.value} has no storage system`);
  return ref;
}

async function datastoreSystem(host: MoRef): Promise<MoRef> {
  const ref = (await soap.prop(host, 'configManager.datastoreSystem'))?.moref();
  if (!ref) throw new Error(`${host.value} has no datastore system`);
  return ref;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lab-vcsim-switch-'));
  vc = await startVcsim({ model, dir, timeScale: 0.01 });
  control = new VcsimControlClient(vc.controlUrl, vc.caPem);
  soap = new RawSoapClient(vc.url, vc.caPem);
  await soap.login('bascule', 'lab-password');
});

afterAll(async () => {
  await soap?.close();
  await control?.close();
  await vc?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('cold switchover of one Storwize datastore, by hand', () => {
  it('moves every VM of the datastore to the other site with its CPU and memory intact', async () => {
    // The datastore holding the misplaced LDAP pair and the VM without Tools.
    const cold = model.datastores.find(
      (d) =>
        d.site === source && d.method === 'storwize' && model.vms.some((v) => v.datastores[0] === d.name),
    );
    if (!cold) throw new Error('the small lab has no cold datastore on the source site');
    const dsRef = await soap.byName('Datastore', cold.name);

    // Read the VMs on the datastore and what they must keep.
    const vmRefs = ((await soap.prop(dsRef, 'vm'))?.children('ManagedObjectReference') ?? []).map((r) => ({
      type: 'VirtualMachine',
      value: r.text(),
    }));
    const before = new Map<string, { numCpu: number; memoryMb: number; vmx: string; tools: string }>();
    for (const ref of vmRefs) {
      const p = await soap.props(ref, [
        'name',
        'config.hardware.numCPU',
        'config.hardware.memoryMB',
        'summary.config.vmPathName',
        'guest.toolsRunningStatus',
      ]);
      before.set(p.get('name')?.text() ?? '', {
        numCpu: p.get('config.hardware.numCPU')?.int() ?? 0,
        memoryMb: p.get('config.hardware.memoryMB')?.int() ?? 0,
        vmx: p.get('summary.config.vmPathName')?.text() ?? '',
        tools: p.get('guest.toolsRunningStatus')?.text() ?? '',
      });
    }
    const expectedNames = model.vms.filter((v) => v.datastores.includes(cold.name)).map((v) => v.name);
    expect([...before.keys()].sort()).toEqual(expectedNames.sort());
    expect([...before.values()].some((v) => v.tools !== 'guestToolsRunning')).toBe(true);

    // 1. Stop the guests: a clean shutdown where Tools run, a power-off for the others.
    for (const ref of vmRefs) {
      const tools = (await soap.prop(ref, 'guest.toolsRunningStatus'))?.text();
      if (tools === 'guestToolsRunning') await soap.call('ShutdownGuest', ref);
      else await task('PowerOffVM_Task', ref);
    }
    for (const ref of vmRefs) {
      let state = '';
      for (let i = 0; i < 1000 && state !== 'poweredOff'; i++) {
        state = (await soap.prop(ref, 'runtime.powerState'))?.text() ?? '';
      }
      expect(state).toBe('poweredOff');
    }

    // 2. Unregister them, then unmount the datastore from every source host.
    for (const ref of vmRefs) await soap.call('UnregisterVM', ref);
    const sourceHosts = ((await soap.prop(dsRef, 'host'))?.children('DatastoreHostMount') ?? []).map((m) =>
      m.req('key').moref(),
    );
    expect(sourceHosts).toHaveLength(model.hosts.filter((h) => h.site === source).length);
    for (const host of sourceHosts) {
      await soap.call('UnmountVmfsVolume', await storageSystem(host), textXml('vmfsUuid', cold.vmfsUuid));
    }

    // 3. The array switch: the source copy stops being writable, the replica becomes writable.
    await lab('/storage/unpresent', { datastore: cold.name, site: source });
    await lab('/storage/present', { datastore: cold.name, site: destination });

    // 4. Rescan the destination hosts and force-mount the unresolved copy, keeping its UUID.
    const destHosts = await Promise.all(
      model.hosts.filter((h) => h.site === destination).map((h) => soap.byName('HostSystem', h.name)),
    );
    for (const host of destHosts) {
      const storage = await storageSystem(host);
      await soap.call('RescanAllHba', storage);
      const unresolved = (
        await soap.call('QueryUnresolvedVmfsVolumes', await datastoreSystem(host))
      ).children('returnval');
      const volume = unresolved.find((u) => u.req('vmfsUuid').text() === cold.vmfsUuid);
      expect(volume?.req('vmfsLabel').text()).toBe(cold.name);
      const devicePath = volume?.req('extent', 'devicePath').text() ?? '';
      const resolved = await soap.call(
        'ResolveMultipleUnresolvedVmfsVolumes',
        storage,
        `<resolutionSpec>${textXml('extentDevicePath', devicePath)}${textXml('uuidResolution', 'forceMount')}</resolutionSpec>`,
      );
      const result = resolved.req('returnval');
      expect(result.opt('fault')).toBeUndefined();
      expect(result.req('vmfs', 'uuid').text()).toBe(cold.vmfsUuid);
    }
    // Same datastore object, same name, now on the destination hosts only.
    expect((await soap.byName('Datastore', cold.name)).value).toBe(dsRef.value);
    const afterMount = (await lab('/state')) as LabState;
    const dsState = afterMount.datastores.find((d) => d.name === cold.name);
    expect(dsState?.accessible).toBe(true);
    expect(dsState?.mountedOn.sort()).toEqual(
      model.hosts
        .filter((h) => h.site === destination)
        .map((h) => h.name)
        .sort(),
    );
    expect(afterMount.unresolved.filter((u) => u.datastore === cold.name)).toEqual([]);

    // 5. Register the VMs into the destination cluster and power them on.
    const dc = await soap.byName('Datacenter', model.datacenter);
    const vmFolder = (await soap.prop(dc, 'vmFolder'))?.moref();
    const cluster = await soap.byName('ClusterComputeResource', destination);
    const pool = (await soap.prop(cluster, 'resourcePool'))?.moref();
    if (!vmFolder || !pool) throw new Error('no vmFolder or pool');
    for (const [name, vm] of before) {
      const ref = (
        await soap.call(
          'RegisterVM_Task',
          vmFolder,
          textXml('path', vm.vmx) +
            textXml('name', name) +
            textXml('asTemplate', false) +
            refXml('pool', pool),
        )
      )
        .req('returnval')
        .moref();
      const res = await soap.waitTask(ref);
      expect(res.state, `${name}: ${res.errorMessage}`).toBe('success');
      const vmRef = res.result?.moref();
      if (!vmRef) throw new Error(`no VM for ${name}`);
      await task('PowerOnVM_Task', vmRef);
    }

    // Every VM of the datastore runs on a destination host with its CPU and memory intact.
    const state = (await lab('/state')) as LabState;
    const destNames = new Set(model.hosts.filter((h) => h.site === destination).map((h) => h.name));
    for (const [name, vm] of before) {
      const s = state.vms.find((v) => v.name === name);
      expect(s).toMatchObject({
        registered: true,
        site: destination,
        powerState: 'poweredOn',
        numCpu: vm.numCpu,
        memoryMb: vm.memoryMb,
      });
      expect(destNames.has(s?.host ?? '')).toBe(true);
      const ref = await soap.byName('VirtualMachine', name);
      const p = await soap.props(ref, ['config.hardware.numCPU', 'config.hardware.memoryMB', 'runtime.host']);
      expect(p.get('config.hardware.numCPU')?.int()).toBe(vm.numCpu);
      expect(p.get('config.hardware.memoryMB')?.int()).toBe(vm.memoryMb);
      expect(destHosts.map((h) => h.value)).toContain(p.get('runtime.host')?.text());
    }
    // Nothing of it is left on the source site.
    for (const host of sourceHosts) {
      const onHost = ((await soap.prop(host, 'vm'))?.children('ManagedObjectReference') ?? []).map((r) =>
        r.text(),
      );
      const names = await Promise.all(
        onHost.map(async (v) => (await soap.prop({ type: 'VirtualMachine', value: v }, 'name'))?.text()),
      );
      expect(names.filter((n) => before.has(n ?? ''))).toEqual([]);
      const datastores = ((await soap.prop(host, 'datastore'))?.children('ManagedObjectReference') ?? []).map(
        (r) => r.text(),
      );
      expect(datastores).not.toContain(dsRef.value);
    }
  });

  it('resignatures a presented replica into a snap- datastore that the other hosts mount on rescan', async () => {
    const d = model.datastores.find(
      (x) => x.site === destination && x.method === 'storwize' && x.name.endsWith('-02'),
    );
    if (!d) throw new Error('no second cold datastore on the destination site');
    const hosts = await Promise.all(
      model.hosts.filter((h) => h.site === source).map((h) => soap.byName('HostSystem', h.name)),
    );
    const [first, second] = hosts;
    if (!first || !second) throw new Error('need two source hosts');
    // The replica is made writable on the other site while the original stays in use (a test copy).
    await lab('/storage/present', { datastore: d.name, site: source });
    const storage = await storageSystem(first);
    expect((await soap.call('QueryUnresolvedVmfsVolume', storage)).children('returnval')).toEqual([]);
    await soap.call('RescanAllHba', storage);
    const volume = (await soap.call('QueryUnresolvedVmfsVolume', storage))
      .children('returnval')
      .find((u) => u.req('vmfsUuid').text() === d.vmfsUuid);
    expect(volume?.req('extent', 'device', 'diskName').text()).toBe(d.replicaLun);
    const res = await soap.call(
      'ResolveMultipleUnresolvedVmfsVolumes',
      storage,
      `<resolutionSpec>${textXml('extentDevicePath', volume?.req('extent', 'devicePath').text() ?? '')}${textXml('uuidResolution', 'resignature')}</resolutionSpec>`,
    );
    const vmfs = res.req('returnval', 'vmfs');
    const snapName = vmfs.req('name').text();
    expect(snapName).toMatch(new RegExp(`^snap-[0-9a-f]{8}-${d.name}$`));
    expect(vmfs.req('uuid').text()).not.toBe(d.vmfsUuid);

    const mountedOn = async (name: string) => {
      const state = (await lab('/state')) as LabState;
      return state.datastores.find((x) => x.name === name)?.mountedOn ?? [];
    };
    expect(await mountedOn(snapName)).toEqual([model.hosts.find((h) => h.site === source)?.name]);
    await soap.call('RescanAllHba', await storageSystem(second));
    expect(await mountedOn(snapName)).toHaveLength(2);
    // The original is untouched on its own site.
    expect((await mountedOn(d.name)).sort()).toEqual(
      model.hosts
        .filter((h) => h.site === destination)
        .map((h) => h.name)
        .sort(),
    );
  });

  it('makes a mount inaccessible when its LUN stops being presented, and refuses to power on from it', async () => {
    const d = model.datastores.find(
      (x) => x.site === destination && x.method === 'storwize' && x.name.endsWith('-01'),
    );
    const vm = model.vms.find((v) => d && v.datastores.length === 1 && v.datastores[0] === d.name);
    if (!d || !vm) throw new Error('no cold datastore with a VM on the destination site');
    await lab('/storage/unpresent', { datastore: d.name, site: destination });
    try {
      const state = (await lab('/state')) as LabState;
      expect(state.datastores.find((x) => x.name === d.name)?.accessible).toBe(false);
      const dsRef = await soap.byName('Datastore', d.name);
      expect((await soap.prop(dsRef, 'summary.accessible'))?.text()).toBe('false');
      const host = await soap.byName('HostSystem', vm.host);
      const storage = await storageSystem(host);
      const mount = (await soap.prop(storage, 'fileSystemVolumeInfo.mountInfo'))
        ?.children('HostFileSystemMountInfo')
        .find((m) => m.req('volume', 'uuid').text() === d.vmfsUuid);
      expect(mount?.req('mountInfo', 'accessible').text()).toBe('false');
      const lun = (await soap.prop(storage, 'storageDeviceInfo.scsiLun'))
        ?.children('ScsiLun')
        .find((l) => l.req('canonicalName').text() === d.lun);
      expect(lun?.req('operationalState').text()).toBe('lostCommunication');

      const ref = await soap.byName('VirtualMachine', vm.name);
      await task('PowerOffVM_Task', ref);
      const on = await soap.waitTask((await soap.call('PowerOnVM_Task', ref)).req('returnval').moref());
      expect(on).toMatchObject({ state: 'error', errorType: 'InvalidState' });
      expect(on.errorMessage).toContain(d.name);
    } finally {
      await lab('/storage/present', { datastore: d.name, site: destination });
    }
    expect(((await lab('/state')) as LabState).datastores.find((x) => x.name === d.name)?.accessible).toBe(
      true,
    );
  });
});
