import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  VsphereAlreadyRegisteredError,
  type VsphereClient,
  VsphereError,
  VsphereFaultError,
  VsphereTaskFailedError,
} from '../../src/adapters/vsphere/index.js';
import { readObject } from '../../src/adapters/vsphere/retrieve.js';
import type { TaskProgress } from '../../src/adapters/vsphere/types.js';
import { type Inventory, indexInventory } from '../../src/domain/inventory.js';
import { startVsphereLab, type VsphereLab } from '../support/vsphere-lab.js';

// VM operations against the small lab: each one acts, is a no-op when run again, and fails with
// a typed error when vCenter refuses.

let lab: VsphereLab;
let client: VsphereClient;

beforeAll(async () => {
  lab = await startVsphereLab();
  client = await lab.connect();
});

afterAll(async () => {
  await client?.close();
  await lab?.stop();
});

afterEach(async () => {
  // Tests that stretch task durations put them back.
  await lab.control('/durations', { durations: lab.model.taskDurationsMs });
});

async function inventory(): Promise<{ inv: Inventory; idx: ReturnType<typeof indexInventory> }> {
  const inv = await client.inventory();
  return { inv, idx: indexInventory(inv) };
}

async function vmId(name: string): Promise<string> {
  const vm = (await lab.state()).vms.find((v) => v.name === name && v.registered);
  if (!vm) throw new Error(`${name} is not registered in the lab`);
  return vm.moref;
}

async function powerState(name: string): Promise<string | undefined> {
  return (await lab.state()).vms.find((v) => v.name === name)?.powerState;
}

async function setPower(name: string, on: boolean): Promise<void> {
  await lab.control('/vm/power', { vm: name, on });
}

/** Tasks vCenter has created so far (TaskManager.recentTask). */
async function taskCount(): Promise<number> {
  const tm = client.session.content.taskManager;
  if (tm === null) throw new Error('no TaskManager');
  const props = await readObject(client.session, tm, ['recentTask']);
  return props?.get('recentTask')?.children?.length ?? 0;
}

async function rejection(p: Promise<unknown>): Promise<VsphereError> {
  const err = await p.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  if (!(err instanceof VsphereError)) throw err;
  return err;
}

describe('shutdownGuest', () => {
  it('shuts the guest down cleanly, then is a no-op', async () => {
    const vm = await vmId('wiki-08');
    const first = await client.shutdownGuest(vm, { timeoutMs: 30_000, forceOffAfterTimeout: false });
    expect(first).toMatchObject({ changed: true, method: 'guest' });
    expect(await powerState('wiki-08')).toBe('poweredOff');
    const again = await client.shutdownGuest(vm, { timeoutMs: 30_000, forceOffAfterTimeout: false });
    expect(again).toMatchObject({ changed: false, method: 'none' });
  });

  it('without VMware Tools: refuses unless forced power-off is allowed', async () => {
    const name = lab.model.vms.find((v) => !v.toolsRunning)?.name ?? '';
    const vm = await vmId(name);
    const tasks = await taskCount();
    const err = await rejection(client.shutdownGuest(vm, { timeoutMs: 30_000, forceOffAfterTimeout: false }));
    expect(err).toBeInstanceOf(VsphereFaultError);
    expect((err as VsphereFaultError).faultType).toBe('ToolsUnavailable');
    expect(err.retryable).toBe(false);
    expect(await taskCount()).toBe(tasks);
    expect(await powerState(name)).toBe('poweredOn');

    const forced = await client.shutdownGuest(vm, { timeoutMs: 30_000, forceOffAfterTimeout: true });
    expect(forced).toMatchObject({ changed: true, method: 'powerOff' });
    expect(await powerState(name)).toBe('poweredOff');
  });

  it('when the guest does not stop in time: powers off, or stops with VSPHERE_TIMEOUT', async () => {
    await lab.control('/durations', { durations: { ShutdownGuest: 100_000_000 } });
    const stuck = await vmId('print-12');
    const err = await rejection(client.shutdownGuest(stuck, { timeoutMs: 0, forceOffAfterTimeout: false }));
    expect(err.code).toBe('VSPHERE_TIMEOUT');
    expect(err.hint).toMatch(/forceOffAfterTimeout/);
    expect(await powerState('print-12')).toBe('poweredOn');

    const forced = await client.shutdownGuest(stuck, { timeoutMs: 0, forceOffAfterTimeout: true });
    expect(forced).toMatchObject({ changed: true, method: 'powerOff' });
    expect(await powerState('print-12')).toBe('poweredOff');
  });
});

describe('powerOn', () => {
  it('powers a VM on with task progress, and starts no task when it is already on', async () => {
    await setPower('app-14', false);
    const vm = await vmId('app-14');
    await lab.control('/durations', { durations: { PowerOnVM_Task: 60_000 } });
    const seen: TaskProgress[] = [];
    const outcome = await client.powerOn(vm, { onProgress: (p) => void seen.push(p) });
    expect(outcome.changed).toBe(true);
    expect(await powerState('app-14')).toBe('poweredOn');
    expect(seen.at(-1)).toMatchObject({ state: 'success', percent: 100 });
    expect(seen.some((p) => p.state === 'running' && p.percent !== null && p.percent < 100)).toBe(true);
    const percents = seen.map((p) => p.percent ?? 0);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));

    const tasks = await taskCount();
    const again = await client.powerOn(vm);
    expect(again.changed).toBe(false);
    expect(await taskCount()).toBe(tasks);
  });

  it('reports a failed task as VSPHERE_TASK_FAILED with the vim25 fault', async () => {
    await setPower('moodle-21', false);
    const vm = await vmId('moodle-21');
    await lab.control('/faults', { kind: 'task-error', method: 'PowerOnVM_Task', count: 1 });
    const err = await rejection(client.powerOn(vm));
    expect(err).toBeInstanceOf(VsphereTaskFailedError);
    expect(err.code).toBe('VSPHERE_TASK_FAILED');
    expect((err as VsphereTaskFailedError).faultType).toBe('SystemError');
    expect(err.method).toBe('PowerOnVM_Task');
    expect(err.details.task).toMatch(/^task-/);
    expect(await powerState('moodle-21')).toBe('poweredOff');
    // The fault was for one task: running the step again succeeds.
    expect((await client.powerOn(vm)).changed).toBe(true);
  });

  it('stops waiting when cancelled, and when the wait times out', async () => {
    await lab.control('/durations', { durations: { PowerOnVM_Task: 100_000_000 } });
    await setPower('dns-22', false);
    const vm = await vmId('dns-22');
    const ac = new AbortController();
    const aborted = await rejection(client.powerOn(vm, { signal: ac.signal, onProgress: () => ac.abort() }));
    expect(aborted.code).toBe('VSPHERE_ABORTED');

    await setPower('radius-23', false);
    const timedOut = await rejection(client.powerOn(await vmId('radius-23'), { timeoutMs: 0 }));
    expect(timedOut.code).toBe('VSPHERE_TIMEOUT');
    expect(timedOut.retryable).toBe(true);
    expect(timedOut.hint).toMatch(/still running/);
  });
});

describe('powerOnMany', () => {
  it('starts the VMs that are off with one datacenter task, and leaves the others alone', async () => {
    const names = ['proxy-06', 'proxy-18', 'ldap-16', 'git-19'];
    for (const n of names.slice(0, 3)) await setPower(n, false);
    const { inv } = await inventory();
    const ids = await Promise.all(names.map(vmId));
    const outcome = await client.powerOnMany(inv.datacenters[0]?.id ?? '', ids);
    expect(outcome.alreadyOn).toEqual([{ type: 'VirtualMachine', value: ids[3] }]);
    expect(outcome.startedByBatch.map((r) => r.value).sort()).toEqual(ids.slice(0, 3).sort());
    expect(outcome.startedIndividually).toEqual([]);
    for (const n of names) expect(await powerState(n)).toBe('poweredOn');

    const again = await client.powerOnMany(inv.datacenters[0]?.id ?? '', ids);
    expect(again.alreadyOn).toHaveLength(4);
    expect(again.startedByBatch).toEqual([]);
  });

  it('falls back to one task per VM when the batch fails', async () => {
    const names = ['db-15', 'mail-17'];
    for (const n of names) await setPower(n, false);
    const { inv } = await inventory();
    await lab.control('/faults', { kind: 'task-error', method: 'PowerOnMultiVM_Task', count: 1 });
    const ids = await Promise.all(names.map(vmId));
    const outcome = await client.powerOnMany(inv.datacenters[0]?.id ?? '', ids);
    expect(outcome.startedByBatch).toEqual([]);
    expect(outcome.startedIndividually.map((r) => r.value).sort()).toEqual([...ids].sort());
    for (const n of names) expect(await powerState(n)).toBe('poweredOn');
  });
});

describe('unregister and register', () => {
  it('moves a VM between clusters by re-registration, keeping CPU and memory', async () => {
    const name = 'ldap-04';
    const model = lab.model.vms.find((v) => v.name === name);
    const { inv, idx } = await inventory();
    const vm = idx.vmByName.get(name);
    if (!vm || !model) throw new Error('ldap-04 missing');

    const refused = await rejection(client.unregister(vm.id));
    expect(refused).toBeInstanceOf(VsphereFaultError);
    expect((refused as VsphereFaultError).faultType).toBe('InvalidPowerState');

    await client.shutdownGuest(vm.id, { timeoutMs: 30_000, forceOffAfterTimeout: true });
    expect((await client.unregister(vm.id)).changed).toBe(true);
    expect((await client.unregister(vm.id)).changed).toBe(false);
    expect((await lab.state()).vms.find((v) => v.name === name)?.registered).toBe(false);

    // ldap-04 lives on a Live Volume datastore, mounted on both sites: register it on the other one.
    const from = idx.cluster.get(idx.host.get(vm.host ?? '')?.cluster ?? '');
    const to = inv.clusters.find((c) => c.id !== from?.id);
    const dc = inv.datacenters[0];
    if (!to || !from || !dc) throw new Error('lab layout');
    const target = { datacenter: dc.id, folder: dc.vmFolder, pool: to.resourcePool, host: to.hosts[0] ?? '' };
    const registered = await client.register(vm.vmxPath, target);
    expect(registered.changed).toBe(true);
    const again = await client.register(vm.vmxPath, target);
    expect(again).toMatchObject({ changed: false, vm: registered.vm });

    const conflict = await rejection(
      client.register(vm.vmxPath, { ...target, pool: from.resourcePool, host: from.hosts[0] ?? '' }),
    );
    expect(conflict).toBeInstanceOf(VsphereAlreadyRegisteredError);
    expect(conflict.code).toBe('VSPHERE_CONFLICT');
    expect((conflict as VsphereAlreadyRegisteredError).vm).toEqual(registered.vm);

    const after = indexInventory(await client.inventory()).vm.get(registered.vm.value);
    expect(after).toMatchObject({
      name,
      numCpu: model.numCpu,
      memoryMb: model.memoryMb,
      resourcePool: to.resourcePool,
    });
    expect(to.hosts).toContain(after?.host);
  });
});

describe('relocate', () => {
  it('vMotions a running VM to the other site, then is a no-op', async () => {
    const { inv, idx } = await inventory();
    const vm = idx.vmByName.get('radius-11');
    const from = idx.host.get(vm?.host ?? '')?.cluster;
    const to = inv.clusters.find((c) => c.id !== from);
    if (!vm || !to) throw new Error('lab layout');
    const target = {
      host: to.hosts[1] ?? '',
      pool: to.resourcePool,
      folder: inv.datacenters[0]?.vmFolder ?? '',
    };
    const moved = await client.relocate(vm.id, target);
    expect(moved.changed).toBe(true);
    const after = indexInventory(await client.inventory()).vm.get(vm.id);
    expect(after).toMatchObject({
      host: target.host,
      resourcePool: to.resourcePool,
      powerState: 'poweredOn',
    });
    const again = await client.relocate(vm.id, target);
    expect(again.changed).toBe(false);
  });

  it('reports what vCenter refuses as a typed error', async () => {
    const { inv, idx } = await inventory();
    // SAN-SITE5 datastores are not mounted on the other site: no host there can run the VM.
    const vm = idx.vmByName.get('mail-17');
    const from = idx.host.get(vm?.host ?? '')?.cluster;
    const to = inv.clusters.find((c) => c.id !== from);
    if (!vm || !to) throw new Error('lab layout');
    const err = await rejection(client.relocate(vm.id, { host: to.hosts[0] ?? '', pool: to.resourcePool }));
    expect(['VSPHERE_FAULT', 'VSPHERE_TASK_FAILED']).toContain(err.code);
    expect(err.method).toBe('RelocateVM_Task');
    expect(idx.vm.get(vm.id)?.host).toBe((await inventory()).idx.vm.get(vm.id)?.host);
  });
});
