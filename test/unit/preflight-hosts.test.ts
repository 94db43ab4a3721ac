import { describe, expect, it } from 'vitest';
import { runPreflight } from '../../src/domain/preflight/run-preflight.js';
import type { Finding, PreflightResult } from '../../src/domain/preflight/types.js';
import { InventoryBuilder } from '../support/inventory-builder.js';
import {
  buildTopology,
  cold,
  hot,
  preflightInput,
  type TopologyOptions,
} from '../support/preflight-fixtures.js';

function world(): InventoryBuilder {
  return new InventoryBuilder()
    .site('site5', 2)
    .site('lognes', 3)
    .datastore('DS-A', { mountedOn: ['site5'] })
    .datastore('LV-A', { mountedOn: ['site5', 'lognes'] })
    .vm('a1', { host: 'esx-site5-01', datastores: ['DS-A'] })
    .vm('lv1', { host: 'esx-site5-01', datastores: ['LV-A'] })
    .vm('lv2', { host: 'esx-site5-02', datastores: ['LV-A'] });
}

const topo: TopologyOptions = { protection: [cold('DS-A'), hot('LV-A')] };

function run(b: InventoryBuilder, t: TopologyOptions = topo): PreflightResult {
  return runPreflight(preflightInput({ inventory: b.build(), topology: buildTopology(t) }));
}

const find = (r: PreflightResult, code: Finding['code']) => r.findings.filter((f) => f.code === code);

describe('hosts and datastores', () => {
  it('warns about destination hosts that cannot take VMs and places VMs on the others', () => {
    const r = run(
      world()
        .updateHost('esx-lognes-01', { inMaintenance: true })
        .updateHost('esx-lognes-02', { connectionState: 'disconnected' }),
      // With one usable host, holding one back for HA would leave no capacity at all.
      { ...topo, capacity: { haHostsReserved: 0 } },
    );
    const [f] = find(r, 'DEST_HOSTS_UNAVAILABLE');
    expect(f).toMatchObject({ severity: 'warn', objects: { hosts: ['esx-lognes-01', 'esx-lognes-02'] } });
    expect(f?.message).toContain('esx-lognes-01 (maintenance), esx-lognes-02 (disconnected)');
    const register = r.plan.groups[0]?.steps.find((s) => s.kind === 'register-vms');
    expect(register?.kind === 'register-vms' && register.vms.map((v) => v.target?.host.name)).toEqual([
      'esx-lognes-03',
    ]);
    expect(r.blocked).toBe(false);
  });

  it('blocks when no destination host is left', () => {
    const b = world();
    for (const h of ['esx-lognes-01', 'esx-lognes-02', 'esx-lognes-03'])
      b.updateHost(h, { inMaintenance: true });
    const r = run(b);
    expect(find(r, 'DEST_NO_HOSTS')).toMatchObject([{ severity: 'block' }]);
  });

  it('blocks a Live Volume that no destination host mounts, warns when some do not', () => {
    const none = run(world().datastore('LV-A', { mountedOn: ['site5'] }));
    expect(find(none, 'LIVE_VOLUME_NOT_MOUNTED')).toMatchObject([
      { severity: 'block', objects: { datastores: ['LV-A'] } },
    ]);
    const some = run(world().datastore('LV-A', { mountedOn: ['site5'], hosts: ['esx-lognes-02'] }));
    expect(find(some, 'LIVE_VOLUME_PARTIALLY_MOUNTED')).toMatchObject([
      { severity: 'warn', objects: { hosts: ['esx-lognes-01', 'esx-lognes-03'] } },
    ]);
    // vMotion keeps the storage: both VMs go to the one host that mounts the volume.
    const vmotion = some.plan.groups.find((g) => g.id === 'LV-A')?.steps[0];
    expect(vmotion?.kind === 'vmotion-vms' && vmotion.moves.map((m) => m.target?.host.name)).toEqual([
      'esx-lognes-02',
      'esx-lognes-02',
    ]);
  });

  it('warns about source hosts that cannot unmount a cold datastore', () => {
    const r = run(world().updateHost('esx-site5-02', { connectionState: 'notResponding' }));
    expect(find(r, 'SOURCE_HOST_UNREACHABLE')).toMatchObject([
      { severity: 'warn', objects: { units: ['DS-A'], hosts: ['esx-site5-02'] } },
    ]);
  });

  it('blocks an inaccessible datastore and one the inventory does not have', () => {
    const r = run(world().datastore('DS-A', { mountedOn: ['site5'], accessible: false }));
    expect(find(r, 'DATASTORE_INACCESSIBLE')).toMatchObject([
      { severity: 'block', objects: { datastores: ['DS-A'] } },
    ]);
    const missing = run(world(), { protection: [cold('DS-A'), hot('LV-A'), cold('DS-GONE')] });
    expect(find(missing, 'UNIT_DATASTORE_MISSING')).toMatchObject([
      { severity: 'block', objects: { datastores: ['DS-GONE'] } },
    ]);
  });

  it('blocks when a destination cluster of the topology is missing from vCenter', () => {
    const b = new InventoryBuilder()
      .site('site5', 1)
      .datastore('DS-A', { mountedOn: ['site5'] })
      .vm('a1', { host: 'esx-site5-01', datastores: ['DS-A'] });
    const r = run(b, { protection: [cold('DS-A')] });
    expect(find(r, 'SITE_CLUSTER_MISSING')).toMatchObject([
      { severity: 'block', objects: { clusters: ['lognes'] } },
    ]);
    expect(find(r, 'DEST_NO_HOSTS')).toHaveLength(1);
  });
});
