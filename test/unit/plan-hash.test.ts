import { describe, expect, it } from 'vitest';
import { canonicalJson, diffPlanInputs, planInputsJson } from '../../src/domain/plan/plan-inputs.js';
import { runPreflight } from '../../src/domain/preflight/run-preflight.js';
import type { PreflightInput } from '../../src/domain/preflight/types.js';
import { InventoryBuilder } from '../support/inventory-builder.js';
import { buildTopology, cold, hot, preflightInput } from '../support/preflight-fixtures.js';

function world(): InventoryBuilder {
  return new InventoryBuilder()
    .site('site5', 2)
    .site('lognes', 2)
    .datastore('SAN-SITE5-PROD-01', { mountedOn: ['site5'] })
    .datastore('LV-A', { mountedOn: ['site5', 'lognes'] })
    .vm('web1-01', { host: 'esx-site5-01', datastores: ['SAN-SITE5-PROD-01', 'LV-A'] })
    .vm('web1-02', { host: 'esx-site5-02', datastores: ['SAN-SITE5-PROD-01'] })
    .vm('lv-1', { host: 'esx-site5-02', datastores: ['LV-A'] });
}

const topology = buildTopology({ protection: [cold('SAN-SITE5-PROD-01'), hot('LV-A')] });

function input(b: InventoryBuilder = world()): PreflightInput {
  return preflightInput({
    inventory: b.build(),
    topology,
    request: { datastores: ['SAN-SITE5-PROD-01', 'LV-A'] },
  });
}

const hashOf = (i: PreflightInput) => runPreflight(i).plan.hash;

describe('plan hash', () => {
  it('is a SHA-256 that the same inputs always give', () => {
    const h = hashOf(input());
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(hashOf(input())).toBe(h);
  });

  it('does not depend on the order of arrays, maps, or on the time', () => {
    const base = input();
    const inv = base.inventory;
    const reordered: PreflightInput = {
      ...base,
      inventory: {
        ...inv,
        vms: [...inv.vms].reverse().map((v) => ({ ...v, datastores: [...v.datastores].reverse() })),
        datastores: [...inv.datastores].reverse(),
        hosts: [...inv.hosts].reverse(),
      },
      units: [...base.units].reverse(),
      replication: new Map([...base.replication].reverse()),
      request: { ...base.request, datastores: ['LV-A', 'SAN-SITE5-PROD-01'] },
      now: new Date(base.now.getTime() + 5_000),
    };
    expect(hashOf(reordered)).toBe(hashOf(base));
  });

  it('changes with the facts, and diffPlanInputs says which in words', () => {
    const before = runPreflight(input()).plan;
    const moved = world()
      .updateVm('web1-01', { host: 'esx-site5-02' })
      .updateVm('lv-1', { power: 'poweredOff' });
    const changed = input(moved);
    const replication = new Map(changed.replication);
    const status = replication.get('SAN-SITE5-PROD-01');
    if (status) replication.set('SAN-SITE5-PROD-01', { ...status, health: 'copying' });
    const after = runPreflight({ ...changed, replication }).plan;
    expect(after.hash).not.toBe(before.hash);
    expect(diffPlanInputs(before.inputs, after.inputs)).toEqual([
      'vm lv-1 power poweredOn → poweredOff',
      'vm web1-01 moved from esx-site5-01 to esx-site5-02',
      'SAN-SITE5-PROD-01: health in-sync → copying',
    ]);
  });

  it('reports VMs joining and leaving units, units and request changes', () => {
    const before = runPreflight(input()).plan.inputs;
    const b = world().updateVm('web1-02', { datastores: ['LV-A'] });
    const after = runPreflight({ ...input(b), request: { ...input(b).request, forceOff: false } }).plan
      .inputs;
    expect(diffPlanInputs(before, after)).toEqual([
      'request forceOff: true → false',
      'vm web1-02 joined LV-A',
      'vm web1-02 left SAN-SITE5-PROD-01',
    ]);
    const fewer = runPreflight({ ...input(), request: { ...input().request, datastores: ['LV-A'] } }).plan
      .inputs;
    expect(diffPlanInputs(before, fewer)).toEqual([
      'request datastores: LV-A, SAN-SITE5-PROD-01 → LV-A',
      'unit SAN-SITE5-PROD-01 is no longer part of the move',
    ]);
    expect(diffPlanInputs(before, before)).toEqual([]);
  });

  it('hashes exactly the canonical JSON of the inputs, every field included', () => {
    const { inputs } = runPreflight(input()).plan;
    expect(planInputsJson(inputs)).toBe(canonicalJson(inputs));
  });

  it('serialises objects with sorted keys at every level', () => {
    expect(canonicalJson({ b: 1, a: [{ d: null, c: 'x' }], e: undefined })).toBe(
      '{"a":[{"c":"x","d":null}],"b":1}',
    );
  });
});
