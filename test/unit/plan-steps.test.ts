import { describe, expect, it } from 'vitest';
import { estimatesFromTaskDurations } from '../../src/domain/plan/estimates.js';
import type { PlanStep, StepKind, UnitPlan } from '../../src/domain/plan/types.js';
import { runPreflight } from '../../src/domain/preflight/run-preflight.js';
import type { MoveRequest, PreflightInput, PreflightResult } from '../../src/domain/preflight/types.js';
import { InventoryBuilder } from '../support/inventory-builder.js';
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
    .site('lognes', 3)
    .datastore('DS-A', { mountedOn: ['site5'] })
    .datastore('LV-A', { mountedOn: ['site5', 'lognes'] })
    .datastore('Z-A', { mountedOn: ['site5'] })
    .datastore('Z-B', { mountedOn: ['site5'] })
    .vm('dns-1', { host: 'esx-site5-01', datastores: ['DS-A'] })
    .vm('app-1', { host: 'esx-site5-02', datastores: ['DS-A'], tools: false })
    .vm('old-1', { host: 'esx-site5-02', datastores: ['DS-A'], power: 'poweredOff' })
    .vm('lv-1', { host: 'esx-site5-01', datastores: ['LV-A'] })
    .vm('z-1', { host: 'esx-site5-01', datastores: ['Z-A'] })
    .vm('z-2', { host: 'esx-site5-01', datastores: ['Z-B'] });
}

const topo: TopologyOptions = {
  protection: [cold('DS-A'), hot('LV-A'), zerto('VPG-A', ['Z-A']), zerto('VPG-B', ['Z-B'])],
  bootOrder: [{ name: 'infra', vms: [], pattern: '^dns-' }],
};

function run(
  request: Partial<MoveRequest> = {},
  extra: Partial<PreflightInput> = {},
  t: TopologyOptions = topo,
): PreflightResult {
  return runPreflight({
    ...preflightInput({ inventory: world().build(), topology: buildTopology(t), request }),
    ...extra,
  });
}

const group = (r: PreflightResult, id: string): UnitPlan => {
  const g = r.plan.groups.find((x) => x.id === id);
  if (!g) throw new Error(`no group ${id}`);
  return g;
};
const kinds = (g: UnitPlan): StepKind[] => g.steps.map((s) => s.kind);
function step<K extends StepKind>(g: UnitPlan, kind: K): Extract<PlanStep, { kind: K }> {
  const s = g.steps.find((x) => x.kind === kind);
  if (!s) throw new Error(`no ${kind} step in ${g.id}`);
  return s as Extract<PlanStep, { kind: K }>;
}

describe('plan steps', () => {
  it('moves a cold unit in the field report order, carrying what the engine needs', () => {
    const g = group(run(), 'DS-A');
    expect(kinds(g)).toEqual([
      'shutdown-vms',
      'unregister-vms',
      'unmount-datastore',
      'switch-replication',
      'rescan-hosts',
      'mount-datastore',
      'register-vms',
      'power-on-vms',
      'verify',
    ]);
    expect(step(g, 'shutdown-vms').vms.map((v) => [v.name, v.toolsRunning])).toEqual([
      ['app-1', false],
      ['dns-1', true],
    ]);
    expect(step(g, 'unregister-vms').vms.map((v) => v.vmxPath)).toEqual([
      '[DS-A] app-1/app-1.vmx',
      '[DS-A] dns-1/dns-1.vmx',
      '[DS-A] old-1/old-1.vmx',
    ]);
    expect(step(g, 'unmount-datastore').hosts.map((h) => h.name)).toEqual(['esx-site5-01', 'esx-site5-02']);
    expect(step(g, 'unmount-datastore').datastores).toEqual([
      expect.objectContaining({ name: 'DS-A', vmfsUuid: 'uuid-DS-A' }),
    ]);
    expect(step(g, 'switch-replication')).toMatchObject({
      toSite: 'lognes',
      units: [{ id: 'DS-A', ref: { kind: 'relationship', name: 'rc_DS-A' } }],
    });
    expect(step(g, 'mount-datastore').hosts.map((h) => h.name)).toEqual([
      'esx-lognes-01',
      'esx-lognes-02',
      'esx-lognes-03',
    ]);
    const register = step(g, 'register-vms');
    expect(register.folder).toBe('group-v1');
    expect(register.vms.map((v) => v.target?.cluster)).toEqual(['lognes', 'lognes', 'lognes']);
    expect(
      register.vms.every(
        (v) => v.target?.resourcePool.startsWith('resgroup-') && v.target.host.name.startsWith('esx-lognes-'),
      ),
    ).toBe(true);
  });

  it('powers on in boot-order groups, waiting only for VMs that have Tools, and leaves powered-off VMs off', () => {
    const power = step(group(run(), 'DS-A'), 'power-on-vms');
    expect(power.groups.map((g) => [g.name, g.vms.map((v) => v.name), g.waitForTools])).toEqual([
      ['infra', ['dns-1'], ['dns-1']],
      ['(other VMs)', ['app-1'], []],
    ]);
  });

  it('omits the shutdown and power-on of a unit whose VMs are all off', () => {
    const b = world().updateVm('dns-1', { power: 'poweredOff' }).updateVm('app-1', { power: 'poweredOff' });
    const r = runPreflight(preflightInput({ inventory: b.build(), topology: buildTopology(topo) }));
    expect(kinds(group(r, 'DS-A'))).not.toContain('shutdown-vms');
    expect(kinds(group(r, 'DS-A'))).not.toContain('power-on-vms');
  });

  it('moves a Live Volume hot: vMotion, swap roles, verify', () => {
    const g = group(run(), 'LV-A');
    expect(kinds(g)).toEqual(['vmotion-vms', 'swap-roles', 'verify']);
    expect(step(g, 'vmotion-vms')).toMatchObject({
      perHostLimit: 2,
      moves: [{ name: 'lv-1', fromHost: { name: 'esx-site5-01' } }],
    });
    expect(step(g, 'swap-roles').unit.ref).toEqual({ kind: 'live-volume', name: 'LV of LV-A' });
  });

  it('moves each Zerto VPG with reverse protection, then commits', () => {
    const r = run();
    expect(kinds(group(r, 'VPG-A'))).toEqual(['zerto-move', 'zerto-commit', 'verify']);
    expect(step(group(r, 'VPG-A'), 'zerto-move')).toMatchObject({
      vms: ['z-1'],
      reverseProtection: true,
      forceShutdown: true,
    });
    expect(step(group(r, 'VPG-B'), 'zerto-move').vms).toEqual(['z-2']);
  });

  it('fails over without touching the source: writable replica, stale entries, then arrival', () => {
    const r = run({ kind: 'failover' });
    expect(kinds(group(r, 'DS-A'))).toEqual([
      'make-replica-writable',
      'unregister-vms',
      'rescan-hosts',
      'mount-datastore',
      'register-vms',
      'power-on-vms',
      'verify',
    ]);
    expect(step(group(r, 'DS-A'), 'unregister-vms').bestEffort).toBe(true);
    expect(kinds(group(r, 'VPG-A'))).toEqual(['zerto-failover', 'zerto-commit', 'verify']);
  });

  it('tests a Zerto failover VPG by VPG; array units are not part of a test', () => {
    const r = run({ kind: 'test-failover' });
    expect(r.blocked).toBe(false);
    expect(r.plan.groups.map((g) => g.id).sort()).toEqual(['VPG-A', 'VPG-B']);
    expect(kinds(group(r, 'VPG-A'))).toEqual(['zerto-test-start', 'zerto-test-stop']);
    expect(step(group(r, 'VPG-A'), 'zerto-test-start')).toMatchObject({ toSite: 'lognes', vms: ['z-1'] });
  });

  it('does not warn of shutdowns in a failover test: production keeps running', () => {
    const b = world().vm('z-3', { host: 'esx-site5-02', datastores: ['Z-A'], tools: false });
    const codes = (kind: MoveRequest['kind']) =>
      runPreflight(preflightInput({ inventory: b.build(), topology: buildTopology(topo), request: { kind } }))
        .findings.filter((f) => f.objects.vms?.includes('z-3'))
        .map((f) => f.code);
    expect(codes('migrate')).toContain('VM_TOOLS_NOT_RUNNING');
    expect(codes('test-failover')).not.toContain('VM_TOOLS_NOT_RUNNING');
  });

  it('fails back with a resync first, one unit at a time', () => {
    const b = new InventoryBuilder()
      .site('site5', 2)
      .site('lognes', 2)
      .datastore('DS-A', { mountedOn: ['lognes'] })
      .datastore('DS-B', { mountedOn: ['lognes'] })
      .vm('a', { host: 'esx-lognes-01', datastores: ['DS-A'] })
      .vm('b', { host: 'esx-lognes-02', datastores: ['DS-B'] });
    const topology = buildTopology({ protection: [cold('DS-A'), cold('DS-B')] });
    const input = preflightInput({
      inventory: b.build(),
      topology,
      request: { kind: 'failback', from: 'lognes', to: 'site5' },
    });
    for (const s of input.replication.values())
      Object.assign(s, { primarySite: 'lognes', health: 'stopped' });
    const r = runPreflight(input);
    expect(r.blocked).toBe(false);
    expect(r.plan.groups.map((g) => g.steps[0])).toMatchObject([
      { kind: 'resync-replication', fromSite: 'lognes', units: [{ id: 'DS-A' }] },
      { kind: 'resync-replication', fromSite: 'lognes', units: [{ id: 'DS-B' }] },
    ]);
    expect(step(group(r, 'DS-A'), 'switch-replication').toSite).toBe('site5');
    expect(r.plan.parallelism.resyncOneAtATime).toBe(true);
    // Two lanes, but the second resync waits for the first: resync + resync + the rest of DS-B.
    const [a, bPlan] = r.plan.groups;
    const resync = a?.steps[0]?.estimateMs ?? 0;
    expect(r.plan.estimatedTotalMs).toBe(resync + resync + ((bPlan?.estimateMs ?? 0) - resync));
  });

  it('uses estimate overrides, e.g. from the lab task durations', () => {
    const estimates = estimatesFromTaskDurations({
      RegisterVM_Task: 1_500,
      ShutdownGuest: 4_000,
      RescanAllHba: 3_000,
    });
    expect(estimates).toEqual({ registerVmMs: 1_500, shutdownVmMs: 4_000, rescanHostMs: 3_000 });
    const g = group(run({}, { options: { estimates } }), 'DS-A');
    expect(step(g, 'register-vms').estimateMs).toBe(3 * 1_500);
    expect(step(g, 'rescan-hosts').estimateMs).toBe(3_000);
    // app-1 has no Tools: it is powered off at once (5 s), longer than the others' 4 s shutdown.
    expect(step(g, 'shutdown-vms').estimateMs).toBe(5_000);
  });

  it('keeps redundant peers on different destination hosts', () => {
    const b = new InventoryBuilder()
      .site('site5', 1)
      .site('lognes', 2)
      .datastore('DS-A', { mountedOn: ['site5'] })
      .datastore('DS-L', { mountedOn: ['lognes'] })
      .vm('big', { host: 'esx-lognes-02', datastores: ['DS-L'], memoryMb: 200_000 })
      .vm('web-01', { host: 'esx-site5-01', datastores: ['DS-A'] })
      .vm('web-02', { host: 'esx-site5-01', datastores: ['DS-A'], tools: true });
    const topology = buildTopology({
      protection: [cold('DS-A'), cold('DS-L', 'lognes')],
      redundancy: { groups: [{ name: 'web', vms: ['web-01', 'web-02'] }] },
    });
    const r = runPreflight(preflightInput({ inventory: b.build(), topology }));
    const targets = step(group(r, 'DS-A'), 'register-vms').vms.map((v) => v.target?.host.name);
    // esx-lognes-01 is the emptier host, but only one of the pair may go there.
    expect(targets.sort()).toEqual(['esx-lognes-01', 'esx-lognes-02']);
  });
});
