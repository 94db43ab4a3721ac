import type { Topology } from '../../config/schema.js';
import { durationMs } from '../duration.js';
import type { InventoryHost, InventoryIndex, InventoryVm } from '../inventory.js';
import { bootMatchers } from './boot-order.js';
import type { StepEstimates } from './estimates.js';
import { planHash } from './plan-inputs.js';
import { scheduleTotalMs } from './schedule.js';
import { groupSteps, type PlanGroupScope, type StepContext } from './steps.js';
import type { HostRef, MoveKind, Parallelism, Plan, PlanInputs, UnitPlan, VmTarget } from './types.js';

export interface BuildPlanInput {
  request: { kind: MoveKind; from: string; to: string; forceOff: boolean };
  topology: Topology;
  idx: InventoryIndex;
  /** Usable hosts of the destination site. */
  destinationHosts: readonly InventoryHost[];
  /** The destination datacenter's VM folder. */
  folder: string | null;
  /** Stop groups in run order. */
  groups: readonly PlanGroupScope[];
  /** VM id → chosen destination host. */
  placement: ReadonlyMap<string, InventoryHost | null>;
  ownerOf: (vm: InventoryVm) => string | undefined;
  inputs: PlanInputs;
  skipped: Plan['skipped'];
  estimates: StepEstimates;
  now: Date;
}

export function buildPlan(p: BuildPlanInput): Plan {
  const { limits } = p.topology;
  // A target depends on the host alone: one per host, not two per VM (register and boot order),
  // thousands of times. Plans are data, never changed in place, so sharing it is safe.
  const targets = new Map<InventoryHost, VmTarget | null>();
  const targetOfHost = (host: InventoryHost): VmTarget | null => {
    let target = targets.get(host);
    if (target === undefined) {
      target = targetOf(host, p.idx);
      targets.set(host, target);
    }
    return target;
  };
  const ctx: StepContext = {
    kind: p.request.kind,
    from: p.request.from,
    to: p.request.to,
    forceOff: p.request.forceOff,
    shutdownTimeoutMs: durationMs(limits.shutdownTimeout),
    vmotionsPerHost: limits.vmotionsPerHost,
    idx: p.idx,
    destinationHosts: p.destinationHosts.map((h): HostRef => ({ id: h.id, name: h.name })).sort(byHostName),
    folder: p.folder,
    targetOf: (vm) => {
      const host = p.placement.get(vm.id);
      return host ? targetOfHost(host) : null;
    },
    ownerOf: p.ownerOf,
    estimates: p.estimates,
    boot: bootMatchers(p.topology.bootOrder),
  };
  const groups: UnitPlan[] = p.groups.map((g) => {
    const steps = groupSteps(g, ctx);
    return {
      id: g.id,
      units: g.units.map((u) => u.unit.id),
      method: g.method,
      vmCount: g.vms.length,
      steps,
      estimateMs: steps.reduce((sum, s) => sum + s.estimateMs, 0),
      notConcurrentWith: g.notConcurrentWith,
    };
  });
  const parallelism = describeParallelism(p.request.kind, limits, groups);
  const estimatedTotalMs = scheduleTotalMs(
    groups.map((g) => {
      const resyncMs = g.steps
        .filter((s) => s.kind === 'resync-replication')
        .reduce((sum, s) => sum + s.estimateMs, 0);
      return { id: g.id, resyncMs, restMs: g.estimateMs - resyncMs, notConcurrentWith: g.notConcurrentWith };
    }),
    parallelism.maxParallelUnits,
    parallelism.resyncOneAtATime,
  );
  return {
    kind: p.request.kind,
    from: p.request.from,
    to: p.request.to,
    hash: planHash(p.inputs),
    inputs: p.inputs,
    groups,
    skipped: p.skipped,
    parallelism,
    estimatedTotalMs,
    generatedAt: p.now.toISOString(),
  };
}

function byHostName(a: HostRef, b: HostRef): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function targetOf(host: InventoryHost | null, idx: InventoryIndex): VmTarget | null {
  if (!host || host.cluster === null) return null;
  const cluster = idx.cluster.get(host.cluster);
  if (!cluster) return null;
  return {
    cluster: cluster.name,
    resourcePool: cluster.resourcePool,
    host: { id: host.id, name: host.name },
  };
}

function describeParallelism(kind: MoveKind, limits: Topology['limits'], groups: UnitPlan[]): Parallelism {
  const resyncOneAtATime = kind === 'failback';
  const parts = [`up to ${limits.concurrentDatastores} unit(s) at a time`];
  if (resyncOneAtATime) parts.push('resyncs strictly one at a time, before each unit moves back');
  if (groups.some((g) => g.method === 'live-volume'))
    parts.push(`at most ${limits.vmotionsPerHost} vMotion(s) per host`);
  const serialised = groups.filter((g) => g.notConcurrentWith.length > 0).length;
  if (serialised > 0)
    parts.push(`${serialised} group(s) never run alongside a group holding a redundant peer`);
  return {
    maxParallelUnits: limits.concurrentDatastores,
    resyncOneAtATime,
    vmotionsPerHost: limits.vmotionsPerHost,
    description: parts.join('; '),
  };
}
