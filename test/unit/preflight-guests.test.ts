import { describe, expect, it } from 'vitest';
import { runPreflight } from '../../src/domain/preflight/run-preflight.js';
import type { Finding, MoveRequest, PreflightResult } from '../../src/domain/preflight/types.js';
import { InventoryBuilder, type VmOptions } from '../support/inventory-builder.js';
import {
  buildTopology,
  cold,
  hot,
  preflightInput,
  type TopologyOptions,
  zerto,
} from '../support/preflight-fixtures.js';

function world(): InventoryBuilder {
  return new InventoryBuilder()
    .site('site5', 2)
    .site('lognes', 2)
    .datastore('DS-A', { mountedOn: ['site5'] })
    .datastore('DS-B', { mountedOn: ['site5'] })
    .datastore('LV-A', { mountedOn: ['site5', 'lognes'] })
    .datastore('Z-A', { mountedOn: ['site5'] })
    .datastore('ISO-LIB', { mountedOn: ['site5'] })
    .datastore('ISO-BOTH', { mountedOn: ['site5', 'lognes'] });
}

const topo: TopologyOptions = {
  protection: [cold('DS-A'), cold('DS-B'), hot('LV-A'), zerto('VPG-A', ['Z-A'])],
};

function run(b: InventoryBuilder, request: Partial<MoveRequest> = {}): PreflightResult {
  return runPreflight(preflightInput({ inventory: b.build(), topology: buildTopology(topo), request }));
}

const find = (r: PreflightResult, code: Finding['code']) => r.findings.filter((f) => f.code === code);
const vm = (datastore: string, extra: Partial<VmOptions> = {}): VmOptions => ({
  host: 'esx-site5-01',
  datastores: [datastore],
  ...extra,
});

describe('guests', () => {
  it('warns about a VM without Tools when it may be powered off, blocks with --no-force-off', () => {
    const b = world().vm('notools', vm('DS-A', { tools: false }));
    expect(find(run(b), 'VM_TOOLS_NOT_RUNNING')).toMatchObject([
      { severity: 'warn', objects: { vms: ['notools'] } },
    ]);
    const strict = find(run(b, { forceOff: false }), 'VM_TOOLS_NOT_RUNNING');
    expect(strict).toMatchObject([{ severity: 'block' }]);
    expect(strict[0]?.message).toContain('--no-force-off');
  });

  it('ignores Tools for a Live Volume move (nothing shuts down) and for VMs already off', () => {
    const b = world()
      .vm('lv', vm('LV-A', { tools: false }))
      .vm('off', vm('DS-A', { power: 'poweredOff' }));
    expect(find(run(b, { forceOff: false }), 'VM_TOOLS_NOT_RUNNING')).toEqual([]);
  });

  it('warns about snapshots', () => {
    expect(find(run(world().vm('snap', vm('LV-A', { snapshot: true }))), 'VM_HAS_SNAPSHOT')).toMatchObject([
      { severity: 'warn', objects: { vms: ['snap'] } },
    ]);
  });

  it('blocks a connected ISO on a datastore the destination will not see, for cold and Zerto', () => {
    const b = world()
      .vm('cd-cold', vm('DS-A', { iso: { datastore: 'ISO-LIB' } }))
      .vm('cd-zerto', vm('Z-A', { iso: { datastore: 'ISO-LIB' } }))
      .vm('cd-off', vm('DS-A', { iso: { datastore: 'ISO-LIB', connected: false } }));
    const found = find(run(b), 'CDROM_ISO_NOT_REPLICATED');
    expect(found.map((f) => [f.objects.vms?.[0], f.severity])).toEqual([
      ['cd-cold', 'block'],
      ['cd-zerto', 'block'],
      ['cd-off', 'warn'],
    ]);
    expect(found[0]?.actions).toEqual([{ kind: 'disconnect-cdrom', vm: 'cd-cold' }]);
    expect(found[0]?.fix).toContain('Disconnect the CD-ROM of cd-cold');
  });

  it('accepts an ISO the destination sees, or one that moves in the same stop group', () => {
    const b = world()
      .vm('cd-both', vm('DS-A', { iso: { datastore: 'ISO-BOTH' } }))
      .vm('cd-own', vm('DS-A', { iso: { datastore: 'DS-A' } }))
      .vm('cd-joined', vm('DS-A', { iso: { datastore: 'DS-B' } }))
      .vm('bridge', vm('DS-A', { datastores: ['DS-A', 'DS-B'] }));
    expect(find(run(b), 'CDROM_ISO_NOT_REPLICATED')).toEqual([]);
  });

  it('blocks an ISO a Live Volume VM would lose in vMotion', () => {
    const b = world().vm('cd-hot', vm('LV-A', { iso: { datastore: 'ISO-LIB' } }));
    expect(find(run(b), 'CDROM_ISO_NOT_REPLICATED')).toMatchObject([{ severity: 'block' }]);
  });

  it('does not make a VM a member of the unit holding its ISO', () => {
    const b = world().vm('cd-b', vm('DS-A', { iso: { datastore: 'DS-B' } }));
    const r = run(b, { datastores: ['DS-B'] });
    expect(r.plan.inputs.units.find((u) => u.id === 'DS-B')?.vms).toEqual([]);
  });

  it('notes VMs already at the destination and leaves them out of the plan', () => {
    const b = world()
      .vm('there', { host: 'esx-lognes-01', datastores: ['LV-A'] })
      .vm('here', vm('LV-A'));
    const r = run(b);
    expect(find(r, 'VM_ALREADY_AT_DESTINATION')).toMatchObject([
      { severity: 'info', objects: { vms: ['there'] } },
    ]);
    const step = r.plan.groups.find((g) => g.id === 'LV-A')?.steps[0];
    expect(step?.kind === 'vmotion-vms' && step.moves.map((m) => m.name)).toEqual(['here']);
  });

  it('blocks orphaned and inaccessible VMs, except in a failover', () => {
    const b = world()
      .vm('orphan', vm('DS-A', { connectionState: 'orphaned', host: null }))
      .vm('lost', vm('DS-A', { connectionState: 'inaccessible' }));
    const found = find(run(b), 'VM_NOT_CONNECTED');
    expect(found.map((f) => [f.objects.vms?.[0], f.severity])).toEqual([
      ['lost', 'block'],
      ['orphan', 'block'],
    ]);
    expect(found[1]?.fix).toContain('register its vmx again');
    expect(find(run(b, { kind: 'failover' }), 'VM_NOT_CONNECTED')).toEqual([]);
  });
});
