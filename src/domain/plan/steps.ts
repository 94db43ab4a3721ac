import { type PlanGroupScope, type StepContext, unitRef } from './step-context.js';
import { coldSteps, storageFailoverSteps } from './steps-cold.js';
import { hotSteps } from './steps-live-volume.js';
import { zertoSteps } from './steps-zerto.js';
import type { PlanStep } from './types.js';

export type { GroupUnit, PlanGroupScope, StepContext } from './step-context.js';

// The step sequence of one stop group, by method and kind of move. A failback starts with the
// resync of the group's units; the run engine runs those one at a time across groups.

export function groupSteps(g: PlanGroupScope, c: StepContext): PlanStep[] {
  const resync: PlanStep[] =
    c.kind === 'failback'
      ? [
          {
            kind: 'resync-replication',
            units: g.units.map(unitRef),
            fromSite: c.from,
            estimateMs: c.estimates.resyncUnitMs * g.units.length,
          },
        ]
      : [];
  if (g.method === 'zerto') return [...resync, ...zertoSteps(g, c)];
  if (c.kind === 'failover') return storageFailoverSteps(g, c);
  if (g.method === 'live-volume') return [...resync, ...hotSteps(g, c)];
  return [...resync, ...coldSteps(g, c)];
}
