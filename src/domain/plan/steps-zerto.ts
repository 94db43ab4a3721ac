import { type PlanGroupScope, type StepContext, unitRef, verifyStep } from './step-context.js';
import type { PlanStep } from './types.js';

// Zerto moves VMs, not datastores: one move per VPG with reverse protection (so the way back stays
// replicated), committed only after verification (commit policy None).

export function zertoSteps(g: PlanGroupScope, c: StepContext): PlanStep[] {
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
