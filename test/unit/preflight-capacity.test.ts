import { describe, expect, it } from 'vitest';
import { runPreflight } from '../../src/domain/preflight/run-preflight.js';
import type { PreflightInput, PreflightResult } from '../../src/domain/preflight/types.js';
import { type HostOptions, InventoryBuilder, type VmOptions } from '../support/inventory-builder.js';
import {
  buildTopology,
  cold,
  preflightInput,
  type TopologyOptions,
  zerto,
} from '../support/preflight-fixtures.js';

// Destination lognes: two hosts of 100,000 MB and 10 cores by default. With one host held back for
// HA and 10% headroom, the limits are 90,000 MB and 40 vCPU (10 cores × 4).
const small: HostOptions = { memoryMb: 100_000, cores: 10 };

function world(lognes: HostOptions = small): InventoryBuilder {
  return new InventoryBuilder()
    .site('site5', 1)
    .site('lognes', 2, lognes)
    .datastore('DS-A', { mountedOn: ['site5'] })
    .datastore('DS-L', { mountedOn: ['lognes'] });
}

const topo: TopologyOptions = { protection: [cold('DS-A'), cold('DS-L', 'lognes')] };

function run(
  b: InventoryBuilder,
  t: TopologyOptions = topo,
  extra: Partial<PreflightInput> = {},
): PreflightResult {
  return runPreflight({ ...preflightInput({ inventory: b.build(), topology: buildTopology(t) }), ...extra });
}

const codes = (r: PreflightResult) => r.findings.filter((f) => f.severity === 'block').map((f) => f.code);
const moving = (name: string, memoryMb: number, cpu = 1): [string, VmOptions] => [
  name,
  { host: 'esx-site5-01', datastores: ['DS-A'], memoryMb, cpu },
];

describe('capacity at the destination', () => {
  it('passes exactly at the memory and vCPU limits', () => {
    const r = run(
      world()
        .vm(...moving('a', 50_000, 20))
        .vm(...moving('b', 40_000, 20)),
    );
    const [c] = r.capacity.clusters;
    expect(c?.limits).toMatchObject({ memoryMb: 90_000, vcpu: 40 });
    expect(c?.after).toMatchObject({ memoryMb: 90_000, vcpu: 40, vms: 2 });
    expect(c?.over).toEqual([]);
    expect(r.blocked).toBe(false);
  });

  it('blocks one MB or one vCPU over', () => {
    expect(
      codes(
        run(
          world()
            .vm(...moving('a', 50_001, 20))
            .vm(...moving('b', 40_000, 20)),
        ),
      ),
    ).toEqual(['CAPACITY_MEMORY']);
    expect(
      codes(
        run(
          world()
            .vm(...moving('a', 50_000, 21))
            .vm(...moving('b', 40_000, 20)),
        ),
      ),
    ).toEqual(['CAPACITY_VCPU']);
  });

  it('counts what already runs at the destination, before and after', () => {
    const b = world()
      .vm('local', { host: 'esx-lognes-01', datastores: ['DS-L'], memoryMb: 30_000, cpu: 4 })
      .vm('local-off', { host: 'esx-lognes-01', datastores: ['DS-L'], memoryMb: 99_000, power: 'poweredOff' })
      .vm(...moving('a', 60_000, 4));
    const [c] = run(b).capacity.clusters;
    expect(c?.before).toEqual({ vms: 1, vcpu: 4, memoryMb: 30_000, cpuMhz: null });
    expect(c?.after).toEqual({ vms: 2, vcpu: 8, memoryMb: 90_000, cpuMhz: null });
    expect(codes(run(b.vm(...moving('b', 1, 1))))).toEqual(['CAPACITY_MEMORY']);
  });

  it('does not count VMs that arrive powered off', () => {
    const b = world().vm('off', {
      host: 'esx-site5-01',
      datastores: ['DS-A'],
      memoryMb: 500_000,
      power: 'poweredOff',
    });
    const r = run(b);
    expect(r.capacity.clusters[0]?.after.memoryMb).toBe(0);
    expect(r.blocked).toBe(false);
  });

  it('holds back the largest hosts for HA', () => {
    const b = world()
      .host('esx-lognes-big', 'lognes', { memoryMb: 200_000, cores: 40 })
      .vm(...moving('a', 150_000));
    const r = run(b);
    const [c] = r.capacity.clusters;
    expect(c?.reservedHosts).toEqual(['esx-lognes-big']);
    // The two small hosts remain: 200,000 MB × 90%.
    expect(c?.limits.memoryMb).toBe(180_000);
    expect(r.blocked).toBe(false);
    const two = run(b, { ...topo, capacity: { haHostsReserved: 2 } }).capacity.clusters[0];
    expect(two?.reservedHosts).toEqual(['esx-lognes-01', 'esx-lognes-big']);
    expect(two?.limits.memoryMb).toBe(90_000);
    expect(two?.over).toEqual(['memory']);
  });

  it('holds back as many hosts as HA admission control tolerates failures, when more', () => {
    const b = new InventoryBuilder()
      .site('site5', 1)
      .site('lognes', 3, { ...small, haHostFailuresTolerated: 2 })
      .datastore('DS-A', { mountedOn: ['site5'] })
      .datastore('DS-L', { mountedOn: ['lognes'] });
    expect(run(b).capacity.clusters[0]?.reservedHosts).toHaveLength(2);
  });

  it('leaves hosts in maintenance or disconnected out of the capacity', () => {
    const b = world()
      .host('esx-lognes-03', 'lognes', { ...small, inMaintenance: true })
      .host('esx-lognes-04', 'lognes', { ...small, connectionState: 'notResponding' })
      .vm(...moving('a', 1_000));
    const [c] = run(b).capacity.clusters;
    expect(c).toMatchObject({ hosts: 4, usableHosts: 2 });
    expect(c?.limits.memoryMb).toBe(90_000);
  });

  it('checks CPU MHz only when usage figures are supplied, at the limit inclusive', () => {
    const b = world()
      .vm(...moving('a', 1_000))
      .vm(...moving('b', 1_000));
    const inv = b.build();
    const id = (name: string) => inv.vms.find((v) => v.name === name)?.id ?? '';
    const stats = (mhz: number) =>
      new Map([
        [id('a'), { cpuUsageMhz: 20_000 }],
        [id('b'), { cpuUsageMhz: mhz }],
      ]);
    const input = (mhz: number) => ({
      ...preflightInput({ inventory: inv, topology: buildTopology(topo) }),
      vmStats: stats(mhz),
    });
    // One counted host: 10 cores × 2,600 MHz × 90% = 23,400 MHz.
    expect(runPreflight(input(3_400)).capacity.clusters[0]?.after.cpuMhz).toBe(23_400);
    expect(runPreflight(input(3_400)).blocked).toBe(false);
    expect(codes(runPreflight(input(3_401)))).toEqual(['CAPACITY_CPU_MHZ']);
  });

  it('checks the free space of the Zerto recovery datastore for the swap files', () => {
    const b = world()
      .datastore('Z-A', { mountedOn: ['site5'] })
      .datastore('ZR', { mountedOn: ['lognes'], capacityGb: 1_000, freeGb: 200 })
      .vm('z1', { host: 'esx-site5-01', datastores: ['Z-A'], memoryMb: 102_400, cpu: 1 });
    const t: TopologyOptions = { protection: [zerto('VPG-A', ['Z-A'])] };
    const lognes = { memoryMb: 1_000_000, cores: 64 };
    const recovery = { zertoRecoveryDatastores: new Map([['VPG-A', 'ZR']]) };
    // 200 GB free − 100 GB swap leaves exactly the 10% (100 GB) headroom.
    const ok = run(b.updateHost('esx-lognes-01', lognes).updateHost('esx-lognes-02', lognes), t, recovery);
    expect(ok.capacity.datastores).toEqual([
      expect.objectContaining({ datastore: 'ZR', units: ['VPG-A'], neededBytes: 100 * 1024 ** 3, ok: true }),
    ]);
    expect(ok.blocked).toBe(false);
    const over = run(b.updateVm('z1', { memoryMb: 102_401 }), t, recovery);
    expect(codes(over)).toEqual(['ZERTO_RECOVERY_SPACE']);
  });

  it('warns when the recovery datastore of a VPG is unknown', () => {
    const b = world()
      .datastore('Z-A', { mountedOn: ['site5'] })
      .vm('z1', { host: 'esx-site5-01', datastores: ['Z-A'], memoryMb: 1_000 });
    const r = run(b, { protection: [zerto('VPG-A', ['Z-A'])] });
    expect(r.findings.find((f) => f.code === 'ZERTO_RECOVERY_UNKNOWN')).toMatchObject({
      severity: 'warn',
      objects: { units: ['VPG-A'] },
    });
  });
});
