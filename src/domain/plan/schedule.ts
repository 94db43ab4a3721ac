// How long the whole plan takes, simulated the way the engine runs it: groups in plan order, each
// taking the first free slot of `lanes`, never overlapping a group it conflicts with, and (for a
// failback) each resync waiting for the previous one, since resyncs run strictly one at a time.

export interface ScheduledGroup {
  id: string;
  resyncMs: number;
  restMs: number;
  notConcurrentWith: readonly string[];
}

export function scheduleTotalMs(
  groups: readonly ScheduledGroup[],
  lanes: number,
  resyncOneAtATime: boolean,
): number {
  const free = new Array<number>(Math.max(1, lanes)).fill(0);
  const ends = new Map<string, number>();
  let resyncGate = 0;
  let total = 0;
  for (const g of groups) {
    let lane = 0;
    for (let i = 1; i < free.length; i++) if ((free[i] ?? 0) < (free[lane] ?? 0)) lane = i;
    let start = free[lane] ?? 0;
    for (const other of g.notConcurrentWith) start = Math.max(start, ends.get(other) ?? 0);
    let resyncEnd = start + g.resyncMs;
    if (resyncOneAtATime && g.resyncMs > 0) {
      resyncEnd = Math.max(start, resyncGate) + g.resyncMs;
      resyncGate = resyncEnd;
    }
    const end = resyncEnd + g.restMs;
    free[lane] = end;
    ends.set(g.id, end);
    total = Math.max(total, end);
  }
  return total;
}
