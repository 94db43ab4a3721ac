import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VsphereClient } from '../../src/adapters/vsphere/index.js';
import { batchedRead } from '../../src/adapters/vsphere/tasks.js';
import { moRef } from '../../src/adapters/vsphere/types.js';
import type { Inventory, InventoryVm } from '../../src/domain/inventory.js';
import { startVsphereLab, type VsphereLab } from '../support/vsphere-lab.js';

// What a step reads (scoped inventory) against what a full inventory says, on the small lab; and
// the batching of concurrent polls.

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

/** The VM fields the steps read. */
const stepView = (v: InventoryVm) => ({
  id: v.id,
  name: v.name,
  powerState: v.powerState,
  connectionState: v.connectionState,
  host: v.host,
  resourcePool: v.resourcePool,
  datastores: v.datastores,
  vmxPath: v.vmxPath,
  toolsRunning: v.toolsRunning,
  template: v.template,
});

const topologyOf = (inv: Inventory) => ({
  datacenters: inv.datacenters,
  clusters: inv.clusters.map((c) => ({ id: c.id, name: c.name, pool: c.resourcePool, hosts: c.hosts })),
  hosts: inv.hosts.map((h) => ({ id: h.id, name: h.name, cluster: h.cluster, datastores: h.datastores })),
  datastores: inv.datastores.map((d) => ({ id: d.id, name: d.name, uuid: d.vmfsUuid, hosts: d.hosts })),
});

/** Counts the SOAP calls of `method` made while `work` runs. */
async function counting<T>(method: string, work: () => Promise<T>): Promise<{ result: T; calls: number }> {
  const transport = client.session.transport;
  const original = transport.callText.bind(transport);
  let calls = 0;
  transport.callText = (call, options) => {
    if (call.method === method) calls++;
    return original(call, options);
  };
  try {
    return { result: await work(), calls };
  } finally {
    transport.callText = original;
  }
}

describe('scoped inventory', () => {
  it("has the step's VMs exactly as the full inventory has them, the whole topology, and no other VM", async () => {
    const full = await client.inventory();
    const ds = full.datastores.find((d) => full.vms.filter((v) => v.datastores.includes(d.id)).length > 1);
    const other = full.vms.find((v) => ds !== undefined && !v.datastores.includes(ds.id));
    if (!ds || !other) throw new Error('the small lab has no datastore with two VMs');
    const scoped = await client.scopedInventory({ vmNames: [other.name], datastoreNames: [ds.name] });

    const expected = full.vms.filter((v) => v.name === other.name || v.datastores.includes(ds.id));
    expect(scoped.vms.map(stepView)).toEqual(expected.map(stepView));
    // A VM neither named nor on the datastore is not read.
    const outside = full.vms.find((v) => v.name !== other.name && !v.datastores.includes(ds.id));
    expect(outside).toBeDefined();
    expect(scoped.vms.map((v) => v.name)).not.toContain(outside?.name);
    expect(topologyOf(scoped)).toEqual(topologyOf(full));
  });

  it('follows VMs going and coming: an entry removed is gone, one registered again is seen by name and datastore', async () => {
    const full = await client.inventory();
    const [dc] = full.datacenters;
    const vm = full.vms.find((v) => v.datastores.length === 1 && v.host !== null);
    const ds = full.datastores.find((d) => d.id === vm?.datastores[0]);
    if (!dc || !vm || !ds || vm.host === null || vm.resourcePool === null) throw new Error('no VM to use');
    const scope = { vmNames: [vm.name], datastoreNames: [ds.name] };
    const wasOn = vm.powerState === 'poweredOn';
    if (wasOn) await lab.control('/vm/power', { vm: vm.name, on: false });
    await client.unregister(vm.id);
    const without = await client.scopedInventory(scope);
    expect(without.vms.filter((v) => v.vmxPath === vm.vmxPath)).toEqual([]);
    const back = await client.register(vm.vmxPath, {
      datacenter: dc.id,
      folder: dc.vmFolder,
      pool: vm.resourcePool,
      host: vm.host,
      name: vm.name,
    });
    if (wasOn) await client.powerOn(back.vm.value);
    const again = await client.scopedInventory(scope);
    expect(again.vms.filter((v) => v.vmxPath === vm.vmxPath).map((v) => [v.id, v.name])).toEqual([
      [back.vm.value, vm.name],
    ]);
    // Through its datastore alone too (a .vmx registered under another name is found that way).
    const byDatastore = await client.scopedInventory({ vmNames: [], datastoreNames: [ds.name] });
    expect(byDatastore.vms.filter((v) => v.vmxPath === vm.vmxPath).map((v) => v.id)).toEqual([back.vm.value]);
    expect(back.vm.value).not.toBe(vm.id);
  });
});

describe('scoped inventory across a lost session', () => {
  it('reads the same after vCenter expired every session (its view went with the session)', async () => {
    const [vm] = (await client.inventory()).vms;
    if (!vm) throw new Error('no VM');
    const scope = { vmNames: [vm.name], datastoreNames: [] };
    const before = await client.scopedInventory(scope);
    await lab.control('/faults', { kind: 'expire-sessions' });
    const after = await client.scopedInventory(scope);
    expect(topologyOf(after)).toEqual(topologyOf(before));
    expect(after.vms.map(stepView)).toEqual(before.vms.map(stepView));
    expect(after.vms.map((v) => v.id)).toEqual([vm.id]);
  });
});

describe('batched reads', () => {
  it('sends the concurrent reads of the same properties as one call, each caller getting its object', async () => {
    const vms = (await client.inventory()).vms.slice(0, 5);
    const { result, calls } = await counting('RetrievePropertiesEx', () =>
      Promise.all(vms.map((v) => batchedRead(client.session, moRef('VirtualMachine', v.id), ['name']))),
    );
    expect(calls).toBe(1);
    expect(result.map((p) => p?.get('name')?.text)).toEqual(vms.map((v) => v.name));
  });

  it('answers null for an object that is gone, and still reads the others', async () => {
    const [vm] = (await client.inventory()).vms;
    if (!vm) throw new Error('no VM');
    const [found, gone] = await Promise.all([
      batchedRead(client.session, moRef('VirtualMachine', vm.id), ['name']),
      batchedRead(client.session, moRef('VirtualMachine', 'vm-does-not-exist'), ['name']),
    ]);
    expect(found?.get('name')?.text).toBe(vm.name);
    expect(gone).toBeNull();
  });

  it('rejects a cancelled reader at once without failing the others of its batch', async () => {
    const [vm] = (await client.inventory()).vms;
    if (!vm) throw new Error('no VM');
    const cancel = new AbortController();
    const cancelled = batchedRead(client.session, moRef('VirtualMachine', vm.id), ['name'], {
      signal: cancel.signal,
    });
    const kept = batchedRead(client.session, moRef('VirtualMachine', vm.id), ['name']);
    cancel.abort();
    await expect(cancelled).rejects.toMatchObject({ code: 'VSPHERE_ABORTED' });
    expect((await kept)?.get('name')?.text).toBe(vm.name);
  });
});
