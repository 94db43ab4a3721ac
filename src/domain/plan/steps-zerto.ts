import { type PlanGroupScope, type StepContext, unitRef, verifyStep } from './step-context.js';
import type { PlanStep } from './types.js';

// Zerto moves VMs, not datastores: one move per VPG with reverse protection (so the way back stays
// replicated), committed only after verification (commit policy None).

export function zertoSteps(g: PlanGroupScope, c: StepContext): PlanStep[] {
  if (c.kind === 'test-failover') return zertoTestSteps(g, c);
  const e = c.estimates;
  const steps: PlanStep[] = [];
  for (const u of g.units) {
    const unit = unitRef(u);
    const vms = g.vms.filter((v) => c.ownerOf(v) === u.unit.id).map((v) => v.name);
    if (c.kind === 'failover') {
      steps.push({
        kind: 'zerto-failover',
        unit,
        toSite: c.to,
        commitPolicy: 'None',
        vms,
        estimateMs: e.zertoFailoverMs,
      });
    } else {
      steps.push({
        kind: 'zerto-move',
        unit,
        toSite: c.to,
        reverseProtection: true,
        commitPolicy: 'None',
        forceShutdown: c.forceOff,
        vms,
        estimateMs: e.zertoMoveMs,
      });
    }
  }
  for (const u of g.units) {
    steps.push({
      kind: 'zerto-commit',
      unit: unitRef(u),
      reverseProtection: true,
      estimateMs: e.zertoCommitMs,
    });
  }
  steps.push(verifyStep(g, c));
  return steps;
}

/** A failover test per VPG: start it, then check the copies and stop it. Production is not touched. */
function zertoTestSteps(g: PlanGroupScope, c: StepContext): PlanStep[] {
  const e = c.estimates;
  const steps: PlanStep[] = [];
  const vmsOf = (id: string) => g.vms.filter((v) => c.ownerOf(v) === id).map((v) => v.name);
  for (const u of g.units) {
    steps.push({
      kind: 'zerto-test-start',
      unit: unitRef(u),
      toSite: c.to,
      vms: vmsOf(u.unit.id),
      estimateMs: e.zertoFailoverMs,
    });
  }
  for (const u of g.units) {
    steps.push({
      kind: 'zerto-test-stop',
      unit: unitRef(u),
      toSite: c.to,
      vms: vmsOf(u.unit.id),
      estimateMs: e.zertoCommitMs,
    });
  }
  return steps;
}
