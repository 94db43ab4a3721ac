import type { RunRecord } from '../jobs/run/types.js';

// A step is stalled when it has been running far longer than its estimate: more than `factor`
// times the estimate, and at least `minMs` (short steps vary a lot). Pure, for the run follower.

export interface StalledStep {
  unitId: string;
  index: number;
  kind: string;
  startedAt: string;
  spentMs: number;
  estimateMs: number;
}

export function stalledSteps(run: RunRecord, now: number, factor: number, minMs: number): StalledStep[] {
  const out: StalledStep[] = [];
  for (const unitId of run.unitOrder) {
    for (const [index, s] of (run.units[unitId]?.steps ?? []).entries()) {
      if (s.state !== 'running' || !s.startedAt) continue;
      const spentMs = now - Date.parse(s.startedAt);
      if (spentMs > Math.max(minMs, s.estimateMs * factor)) {
        out.push({ unitId, index, kind: s.kind, startedAt: s.startedAt, spentMs, estimateMs: s.estimateMs });
      }
    }
  }
  return out;
}
