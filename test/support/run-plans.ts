import { planHash } from '../../src/domain/plan/plan-inputs.js';
import type { MoveKind, Plan, PlanInputs, PlanStep, StepKind, UnitRef } from '../../src/domain/plan/types.js';

// Small hand-made plans for engine tests: units with named steps and no real infrastructure
// behind them (the world executors give the steps their effect).

export interface TestUnit {
  id: string;
  steps: StepKind[];
  notConcurrentWith?: string[];
}

export interface TestPlanOptions {
  kind?: MoveKind;
  from?: string;
  to?: string;
  units: TestUnit[];
  maxParallelUnits?: number;
  /** Changes the plan inputs, hence the hash (to test the replan check). */
  salt?: string;
}

const unitRef = (id: string): UnitRef => ({
  id,
  method: 'storwize',
  array: 'v7k-site5',
  ref: { kind: 'relationship', name: `rc_${id}` },
});

function step(kind: StepKind, unit: string, to: string): PlanStep {
  const estimateMs = 10_000;
  switch (kind) {
    case 'resync-replication':
      return { kind, estimateMs, units: [unitRef(unit)], fromSite: to };
    case 'shutdown-vms':
      return { kind, estimateMs, vms: [], timeoutMs: 1000, forceOff: true };
    case 'unregister-vms':
      return { kind, estimateMs, vms: [], bestEffort: false };
    case 'unmount-datastore':
      return { kind, estimateMs, datastores: [{ id: null, name: unit, vmfsUuid: null }], hosts: [] };
    case 'switch-replication':
      return { kind, estimateMs, units: [unitRef(unit)], toSite: to };
    case 'make-replica-writable':
      return { kind, estimateMs, units: [unitRef(unit)], toSite: to };
    case 'rescan-hosts':
      return { kind, estimateMs, hosts: [] };
    case 'mount-datastore':
      return { kind, estimateMs, datastores: [], hosts: [], resolution: 'forceMount' };
    case 'register-vms':
      return { kind, estimateMs, folder: null, vms: [] };
    case 'power-on-vms':
      return { kind, estimateMs, groups: [] };
    case 'verify':
      return { kind, estimateMs, units: [unitRef(unit)], toSite: to, vms: [] };
    default:
      throw new Error(`test plans do not build ${kind} steps`);
  }
}

export function testPlan(o: TestPlanOptions): Plan {
  const kind = o.kind ?? 'migrate';
  const from = o.from ?? 'site5';
  const to = o.to ?? 'lognes';
  const inputs: PlanInputs = {
    request: {
      kind,
      from,
      to,
      mode: o.salt ?? null,
      datastores: o.units.map((u) => u.id).sort(),
      forceOff: true,
    },
    units: o.units.map((u) => ({ id: u.id, primarySite: from, health: 'in-sync', vms: [] })),
  };
  const groups = o.units.map((u) => {
    const steps = u.steps.map((k) => step(k, u.id, to));
    return {
      id: u.id,
      units: [u.id],
      method: 'storwize' as const,
      vmCount: 0,
      steps,
      estimateMs: steps.reduce((a, s) => a + s.estimateMs, 0),
      notConcurrentWith: u.notConcurrentWith ?? [],
    };
  });
  return {
    kind,
    from,
    to,
    hash: planHash(inputs),
    inputs,
    groups,
    skipped: [],
    parallelism: {
      maxParallelUnits: o.maxParallelUnits ?? 2,
      resyncOneAtATime: kind === 'failback',
      vmotionsPerHost: 2,
      description: 'test',
    },
    estimatedTotalMs: groups.reduce((a, g) => a + g.estimateMs, 0),
    generatedAt: new Date(0).toISOString(),
  };
}

export const COLD_STEPS: StepKind[] = [
  'shutdown-vms',
  'unmount-datastore',
  'switch-replication',
  'mount-datastore',
];

/** The real cold plan's steps, in the field report's order (test/unit/plan-steps.test.ts pins it). */
export const COLD_PLAN_STEPS: StepKind[] = [
  'shutdown-vms',
  'unregister-vms',
  'unmount-datastore',
  'switch-replication',
  'rescan-hosts',
  'mount-datastore',
  'register-vms',
  'power-on-vms',
  'verify',
];
