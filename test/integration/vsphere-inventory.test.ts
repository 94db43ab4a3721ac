import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VsphereClient } from '../../src/adapters/vsphere/index.js';
import { type Inventory, indexInventory } from '../../src/domain/inventory.js';
import { startVsphereLab, type VsphereLab } from '../support/vsphere-lab.js';

// The inventory read against the small lab, compared with the model the lab was built from.

let lab: VsphereLab;
let client: VsphereClient;
let inv: Inventory;

beforeAll(async () => {
  lab = await startVsphereLab();
  client = await lab.connect();
  inv = await client.inventory();
});

afterAll(async () => {
  await client?.close();
  await lab?.stop();
});

describe('inventory of the small lab', () => {
  it('has every object of the model, once', () => {
    const m = lab.model;
    expect(inv.datacenters.map((d) => d.name)).toEqual([m.datacenter]);
    expect(inv.clusters.map((c) => c.name).sort()).toEqual([...m.sites].sort());
    expect(inv.hosts.map((h) => h.name).sort()).toEqual(m.hosts.map((h) => h.name).sort());
    expect(inv.datastores.map((d) => d.name).sort()).toEqual(m.datastores.map((d) => d.name).sort());
    expect(inv.vms.map((v) => v.name).sort()).toEqual(m.vms.map((v) => v.name).sort());
    expect(new Set(inv.vms.map((v) => v.id)).size).toBe(inv.vms.length);
    expect(inv.vcenter).toBe(client.vcenter);
    expect(Number.isNaN(Date.parse(inv.takenAt))).toBe(false);
  });

  it('places hosts in their site cluster with their capacity', () => {
    const idx = indexInventory(inv);
    for (const h of lab.model.hosts) {
      const host = inv.hosts.find((x) => x.name === h.name);
      expect(host).toBeDefined();
      expect(idx.cluster.get(host?.cluster ?? '')?.name).toBe(h.site);
      expect(host).toMatchObject({
        connectionState: 'connected',
        inMaintenance: false,
        cpuCores: h.cpuCores,
        cpuMhz: h.cpuCores * h.cpuMhzPerCore,
        memoryMb: h.memoryMb,
      });
    }
    for (const c of inv.clusters) {
      expect(c.hosts.sort()).toEqual(
        inv.hosts
          .filter((h) => h.cluster === c.id)
          .map((h) => h.id)
          .sort(),
      );
      expect(c.resourcePool).toMatch(/./);
      expect(c.drsEnabled).toBe(true);
    }
  });

  it('mounts each datastore on the hosts of its sites, with its VMFS UUID', () => {
    for (const d of lab.model.datastores) {
      const ds = inv.datastores.find((x) => x.name === d.name);
      const expectedHosts = lab.model.hosts
        .filter((h) => d.mountedOn.includes(h.site))
        .map((h) => h.name)
        .sort();
      expect(ds?.vmfsUuid).toBe(d.vmfsUuid);
      expect(ds).toMatchObject({ type: 'VMFS', accessible: true, capacityBytes: d.capacityGb * 1024 ** 3 });
      expect(ds?.hosts.map((id) => inv.hosts.find((h) => h.id === id)?.name).sort()).toEqual(expectedHosts);
      for (const hostId of ds?.hosts ?? [])
        expect(inv.hosts.find((h) => h.id === hostId)?.datastores).toContain(ds?.id);
    }
  });

  it('reads each VM as the model describes it', () => {
    const idx = indexInventory(inv);
    for (const m of lab.model.vms) {
      const vm = idx.vmByName.get(m.name);
      expect(vm, m.name).toBeDefined();
      if (!vm) continue;
      expect(idx.host.get(vm.host ?? '')?.name).toBe(m.host);
      expect(vm.powerState).toBe(m.powerOn ? 'poweredOn' : 'poweredOff');
      expect(vm.connectionState).toBe('connected');
      expect(vm.numCpu).toBe(m.numCpu);
      expect(vm.memoryMb).toBe(m.memoryMb);
      expect(vm.toolsRunning).toBe(m.toolsRunning && m.powerOn);
      expect(vm.hasSnapshots).toBe(m.snapshot);
      expect(vm.template).toBe(false);
      expect(vm.vmxPath).toBe(`[${m.datastores[0]}] ${m.name}/${m.name}.vmx`);
      expect(vm.instanceUuid).toMatch(/^[0-9a-f-]{36}$/);
      const diskDatastores = m.datastores.map((n) => idx.datastoreByName.get(n)?.id);
      for (const id of diskDatastores) expect(vm.datastores).toContain(id);
      const nonEmpty = Object.fromEntries(Object.entries(m.attributes).filter(([, v]) => v !== ''));
      expect(vm.attributes).toEqual(nonEmpty);
      const cluster = idx.cluster.get(idx.host.get(vm.host ?? '')?.cluster ?? '');
      expect(vm.resourcePool).toBe(cluster?.resourcePool);
    }
  });

  it('finds the ISO-backed CD-ROM and the datastore the ISO lives on', () => {
    const withIso = lab.model.vms.filter((v) => v.iso !== undefined);
    expect(withIso.length).toBeGreaterThan(0);
    const idx = indexInventory(inv);
    for (const m of withIso) {
      const vm = idx.vmByName.get(m.name);
      const isoDs = idx.datastoreByName.get(/^\[([^\]]+)\]/.exec(m.iso ?? '')?.[1] ?? '');
      expect(vm?.cdroms).toContainEqual({ datastore: isoDs?.id, path: m.iso, connected: true });
      expect(vm?.datastores).toContain(isoDs?.id);
    }
    const others = inv.vms.filter((v) => !withIso.some((m) => m.name === v.name));
    for (const vm of others) expect(vm.cdroms.every((c) => c.datastore === null && !c.connected)).toBe(true);
  });

  it('reads the DRS anti-affinity rules, the ldap pair among them, both on one datastore', () => {
    const idx = indexInventory(inv);
    for (const r of lab.model.antiAffinityRules) {
      const cluster = idx.clusterByName.get(r.cluster);
      const rule = cluster?.antiAffinityRules.find((x) => x.name === r.name);
      expect(rule?.enabled).toBe(true);
      expect(rule?.vms.map((id) => idx.vm.get(id)?.name).sort()).toEqual([...r.vms].sort());
    }
    const ldap = ['ldap-01', 'ldap-02'].map((n) => idx.vmByName.get(n));
    expect(ldap[0]?.datastores).toEqual(ldap[1]?.datastores);
    expect(ldap[0]?.host).not.toBe(ldap[1]?.host);
  });
});

describe('paging', () => {
  it('returns every object exactly once with small pages', async () => {
    const pages: number[] = [];
    const paged = await client.inventory({ maxObjects: 7, onPage: (p) => void pages.push(p.objects) });
    const total =
      inv.vms.length +
      inv.hosts.length +
      inv.datastores.length +
      inv.clusters.length +
      inv.datacenters.length;
    expect(pages.length).toBeGreaterThan(total / 7);
    // Every view object plus the CustomFieldsManager, each once.
    expect(pages.at(-1)).toBe(total + 1);
    expect({ ...paged, takenAt: inv.takenAt }).toEqual(inv);
  });

  it('starts over when the session expires between two pages', async () => {
    const before = client.session.generation;
    let expired = false;
    const again = await client.inventory({
      maxObjects: 5,
      onPage: async () => {
        if (expired) return;
        expired = true;
        await lab.control('/faults', { kind: 'expire-sessions' });
      },
    });
    expect(client.session.generation).toBe(before + 1);
    expect({ ...again, takenAt: inv.takenAt }).toEqual(inv);
  });
});

// Runs last: it unregisters a VM (and registers it back for whoever reads the lab after).
describe('devices, read only where an ISO elsewhere is possible', () => {
  it('reads the CD-ROMs of every VM that uses more than one datastore, and of no other', () => {
    const multi = inv.vms.filter((v) => v.datastores.length > 1);
    expect(multi.length).toBeGreaterThan(0);
    // Every lab VM has a CD-ROM: read for the multi-datastore ones, not asked for the others.
    for (const vm of multi) expect(vm.cdroms.length).toBeGreaterThan(0);
    for (const vm of inv.vms.filter((v) => v.datastores.length === 1)) expect(vm.cdroms).toEqual([]);
  });

  it('survives a VM that disappears between the two passes', async () => {
    const victim = inv.vms.find((v) => v.datastores.length > 1);
    if (victim === undefined) throw new Error('the small lab has no VM on two datastores');
    const idx = indexInventory(inv);
    const pool = idx.cluster.get(idx.host.get(victim.host ?? '')?.cluster ?? '')?.resourcePool;
    const dc = inv.datacenters[0];
    if (pool === undefined || dc === undefined) throw new Error('no pool or datacenter for the victim');
    const before = await client.inventory();
    let removed = false;
    const after = await client.inventory({
      maxObjects: 1_000,
      onPage: async () => {
        if (removed) return;
        removed = true;
        if (victim.powerState === 'poweredOn') await lab.control('/vm/power', { vm: victim.name, on: false });
        await client.unregister(victim.id);
      },
    });
    try {
      // Read in pass 1, gone by pass 2: the VM is in this snapshot, the others are untouched.
      expect(after.vms.map((v) => v.name)).toEqual(before.vms.map((v) => v.name));
      const others = (x: Inventory) => x.vms.filter((v) => v.name !== victim.name).map((v) => v.cdroms);
      expect(others(after)).toEqual(others(before));
    } finally {
      const target = { datacenter: dc.id, folder: dc.vmFolder, pool, name: victim.name };
      await client.register(victim.vmxPath, victim.host ? { ...target, host: victim.host } : target);
      if (victim.powerState === 'poweredOn') await lab.control('/vm/power', { vm: victim.name, on: true });
    }
  });
});

describe('the lab keeps DRS rules through its own storage moves', () => {
  it('a VM the control API moves to another datastore of its cluster stays in its anti-affinity rule', async () => {
    const rule = lab.model.antiAffinityRules[0];
    if (!rule) throw new Error('the small lab has an anti-affinity rule');
    const name = rule.vms[1] ?? '';
    const before = await client.inventory();
    const idx = indexInventory(before);
    const vm = idx.vmByName.get(name);
    const host = idx.host.get(vm?.host ?? '');
    const target = before.datastores.find(
      (d) => !vm?.datastores.includes(d.id) && d.hosts.includes(host?.id ?? '') && /PROD/.test(d.name),
    );
    if (!vm || !host || !target) throw new Error(`no datastore to move ${name} to`);
    await lab.control('/vm/relocate', { vm: name, host: host.name, datastore: target.name });
    const after = await client.inventory();
    const moved = indexInventory(after).vmByName.get(name);
    expect(moved?.id).not.toBe(vm.id); // re-created by the lab, as a recovery would be
    expect(moved?.datastores).toEqual([target.id]);
    const rules = after.clusters.flatMap((c) => c.antiAffinityRules).filter((r) => r.name === rule.name);
    expect(rules).toHaveLength(1);
    expect(rules[0]?.vms).toContain(moved?.id);
    expect(rules[0]?.vms).not.toContain(vm.id);
  });
});
