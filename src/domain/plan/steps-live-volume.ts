import { hostRef, type PlanGroupScope, type StepContext, unitRef, verifyStep } from './step-context.js';
import type { PlanStep, VmotionStep } from './types.js';

// Live Volume moves: the datastore is mounted at both sites, so VMs vMotion across and the array
// then swaps the primary role to follow them.

export function hotSteps(g: PlanGroupScope, c: StepContext): PlanStep[] {
  const steps: PlanStep[] = [vmotionStep(g, c)];
  for (const u of g.units) {
    steps.push({ kind: 'swap-roles', unit: unitRef(u), toSite: c.to, estimateMs: c.estimates.swapRolesMs });
  }
  steps.push(verifyStep(g, c));
  return steps;
}

function vmotionStep(g: PlanGroupScope, c: StepContext): VmotionStep {
  const moves = g.vms.map((v) => ({
    id: v.id,
    name: v.name,
    fromHost: v.host === null ? null : hostRef(c.idx, v.host),
    target: c.targetOf(v),
    powerState: v.powerState,
  }));
  // vMotions run in waves: no host sends or receives more than the per-host limit at once.
  const perHost = new Map<string, number>();
  const count = (h: string | undefined) => {
    if (h) perHost.set(h, (perHost.get(h) ?? 0) + 1);
  };
  for (const m of moves) {
    count(m.fromHost?.id);
    count(m.target?.host.id);
  }
  const busiest = Math.max(0, ...perHost.values());
  const waves = Math.ceil(busiest / c.vmotionsPerHost);
  return {
    kind: 'vmotion-vms',
    moves,
    perHostLimit: c.vmotionsPerHost,
    estimateMs: waves * c.estimates.vmotionVmMs,
  };
}
