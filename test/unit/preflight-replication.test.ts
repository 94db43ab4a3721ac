import { describe, expect, it } from 'vitest';
import { protectedUnits } from '../../src/config/topology.js';
import { runPreflight } from '../../src/domain/preflight/run-preflight.js';
import type { Finding, MoveRequest, PreflightResult } from '../../src/domain/preflight/types.js';
import type { ReplicationStatus } from '../../src/domain/replication.js';
import { InventoryBuilder } from '../support/inventory-builder.js';
import {
  buildTopology,
  cold,
  hot,
  preflightInput,
  replicationOf,
  type TopologyOptions,
  zerto,
} from '../support/preflight-fixtures.js';

function world(): InventoryBuilder {
  return new InventoryBuilder()
    .site('site5', 2)
    .site('lognes', 2)
    .datastore('DS-A', { mountedOn: ['site5'] })
    .datastore('DS-B', { mountedOn: ['site5'] })
    .datastore('Z-A', { mountedOn: ['site5'] })
    .datastore('LV-A', { mountedOn: ['site5', 'lognes'] })
    .datastore('LOCAL', { hosts: ['esx-site5-01'] })
    .vm('a1', { host: 'esx-site5-01', datastores: ['DS-A'] })
    .vm('b1', { host: 'esx-site5-02', datastores: ['DS-B'] })
    .vm('z1', { host: 'esx-site5-01', datastores: ['Z-A'] });
}

const topo: TopologyOptions = {
  protection: [cold('DS-A'), cold('DS-B'), zerto('VPG-A', ['Z-A']), hot('LV-A')],
};

function run(
  status: Record<string, Partial<ReplicationStatus>> = {},
  request: Partial<MoveRequest> = {},
  b: InventoryBuilder = world(),
  options = {},
): PreflightResult {
  const topology = buildTopology(topo);
  const units = protectedUnits(topology);
  return runPreflight(
    preflightInput({
      inventory: b.build(),
      topology,
      units,
      replication: replicationOf(units, status),
      request,
      options,
    }),
  );
}

const find = (r: PreflightResult, code: Finding['code']) => r.findings.filter((f) => f.code === code);

describe('replication health and direction', () => {
  it('passes units in sync in the expected direction', () => {
    const r = run();
    expect(r.findings.filter((f) => f.code.startsWith('REPLICATION'))).toEqual([]);
  });

  it('blocks a unit that is copying, with its progress', () => {
    const r = run({ 'DS-A': { health: 'copying', progressPercent: 42, raw: 'consistent_copying' } });
    const [f] = find(r, 'REPLICATION_NOT_IN_SYNC');
    expect(f).toMatchObject({ severity: 'block', objects: { units: ['DS-A'] } });
    expect(f?.message).toContain('42% copied');
    expect(f?.fix).toContain('Wait for the copy');
  });

  it('blocks a unit with no primary or the wrong primary', () => {
    const r = run({ 'DS-A': { primarySite: null, health: 'idling', raw: 'idling' } });
    expect(find(r, 'REPLICATION_DIRECTION')[0]?.message).toContain('has no primary');
  });

  it('skips a unit already primary at the destination, as a note', () => {
    const r = run(
      { 'DS-B': { primarySite: 'lognes' } },
      {},
      world().updateVm('b1', { host: 'esx-lognes-01' }),
    );
    expect(find(r, 'UNIT_ALREADY_MOVED')).toMatchObject([{ severity: 'info', objects: { units: ['DS-B'] } }]);
    expect(r.plan.groups.map((g) => g.id)).not.toContain('DS-B');
    expect(r.plan.skipped).toEqual([{ unit: 'DS-B', reason: 'already primary at lognes' }]);
  });

  it('blocks a unit whose status is missing', () => {
    const topology = buildTopology(topo);
    const units = protectedUnits(topology);
    const replication = replicationOf(units);
    replication.delete('DS-A');
    const r = runPreflight(preflightInput({ inventory: world().build(), topology, units, replication }));
    expect(find(r, 'REPLICATION_STATUS_UNKNOWN')).toMatchObject([
      { severity: 'block', objects: { units: ['DS-A'] } },
    ]);
  });

  it('accepts a Zerto VPG copying within the lag threshold, inclusive', () => {
    expect(find(run({ 'VPG-A': { health: 'copying', lagSeconds: 300 } }), 'REPLICATION_LAG')).toEqual([]);
    expect(find(run({ 'VPG-A': { health: 'copying', lagSeconds: 301 } }), 'REPLICATION_LAG')).toHaveLength(1);
    expect(
      find(
        run({ 'VPG-A': { health: 'copying', lagSeconds: 301 } }, {}, world(), { zertoMaxLagSeconds: 600 }),
        'REPLICATION_LAG',
      ),
    ).toEqual([]);
    expect(find(run({ 'VPG-A': { health: 'copying', lagSeconds: null } }), 'REPLICATION_LAG')).toHaveLength(
      1,
    );
  });

  it('in a failback, expects units stopped or idling and plans the resync', () => {
    const away = world()
      .updateVm('a1', { host: 'esx-lognes-01' })
      .updateVm('b1', { host: 'esx-lognes-02' })
      .updateVm('z1', { host: 'esx-lognes-01' });
    const request = { kind: 'failback' as const, from: 'lognes', to: 'site5' };
    const r = run(
      {
        'DS-A': { primarySite: null, health: 'idling', raw: 'idling' },
        'DS-B': { primarySite: 'lognes', health: 'stopped', raw: 'consistent_stopped' },
        'VPG-A': { primarySite: 'lognes' },
        'LV-A': { primarySite: 'lognes' },
      },
      request,
      away,
    );
    expect(find(r, 'REPLICATION_RESYNC_FIRST').map((f) => f.objects.units?.[0])).toEqual(['DS-A', 'DS-B']);
    expect(r.findings.filter((f) => f.severity === 'block')).toEqual([]);
    const broken = run(
      { 'DS-A': { primarySite: 'lognes', health: 'disconnected' }, 'DS-B': { primarySite: 'lognes' } },
      request,
      away,
    );
    expect(find(broken, 'REPLICATION_NOT_IN_SYNC')).toMatchObject([
      { severity: 'block', objects: { units: ['DS-A'] } },
    ]);
  });

  it('in a failover, warns about a degraded replica instead of blocking', () => {
    const r = run({ 'DS-A': { health: 'disconnected', lagSeconds: 120 } }, { kind: 'failover' });
    expect(find(r, 'REPLICATION_DEGRADED')).toMatchObject([{ severity: 'warn' }]);
    expect(find(r, 'REPLICATION_DEGRADED')[0]?.message).toContain('about 120 s behind');
  });
});

describe('no VM left half behind', () => {
  it('blocks the unit holding a VM whose other disk is on a datastore nobody replicates', () => {
    const r = run({}, {}, world().vm('scratchy', { host: 'esx-site5-01', datastores: ['DS-A', 'LOCAL'] }));
    const [f] = find(r, 'DISK_NOT_REPLICATED');
    expect(f).toMatchObject({ severity: 'block', objects: { vms: ['scratchy'], units: ['DS-A'] } });
    expect(f?.objects.datastores).toEqual(['LOCAL', 'DS-A']);
    expect(f?.fix).toContain('Storage-vMotion the disks of scratchy on LOCAL to DS-A');
  });

  it('blocks a VM with disks on units of two methods', () => {
    const r = run({}, {}, world().vm('mixed', { host: 'esx-site5-01', datastores: ['DS-A', 'Z-A'] }));
    expect(find(r, 'VM_MIXED_METHODS')).toMatchObject([
      { severity: 'block', objects: { vms: ['mixed'], units: ['DS-A', 'VPG-A'] } },
    ]);
  });

  it('blocks a VM spanning a unit the request leaves out', () => {
    const r = run(
      {},
      { datastores: ['DS-A'] },
      world().vm('wide', { host: 'esx-site5-01', datastores: ['DS-A', 'DS-B'] }),
    );
    const [f] = find(r, 'SPANNING_UNIT_NOT_SELECTED');
    expect(f).toMatchObject({ severity: 'block', objects: { vms: ['wide'], units: ['DS-A', 'DS-B'] } });
    expect(f?.fix).toContain('Add DS-B to --datastores');
    expect(
      find(
        run({}, {}, world().vm('wide', { host: 'esx-site5-01', datastores: ['DS-A', 'DS-B'] })),
        'SPANNING_UNIT_NOT_SELECTED',
      ),
    ).toEqual([]);
  });
});
