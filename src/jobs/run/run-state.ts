import type { RunStore } from './run-store.js';
import type { RunRecord, RunStatus, StepState, UnitStatus } from './types.js';

// The compact state the bot and the CLI show: units × steps with status and percent, and an ETA
// from the plan's estimates and the time already spent on running steps.

export interface RunState {
  id: string;
  kind: string;
  from: string;
  to: string;
  status: RunStatus;
  requestedBy: string;
  version: number;
  percent: number;
  etaMs: number | null;
  haltedBy: string | null;
  error: RunRecord['error'];
  units: Array<{
    id: string;
    status: UnitStatus;
    steps: Array<{ kind: string; state: StepState; percent: number | null; message: string | null }>;
  }>;
}

export function runState(run: RunRecord, maxParallelUnits: number, now = Date.now()): RunState {
  let total = 0;
  let doneMs = 0;
  const remaining: number[] = [];
  const units = run.unitOrder.map((id) => {
    const u = run.units[id];
    let left = 0;
    for (const s of u?.steps ?? []) {
      total += s.estimateMs;
      if (s.state === 'done' || s.state === 'skipped') doneMs += s.estimateMs;
      else if (s.state === 'running') {
        const spent = s.startedAt ? now - Date.parse(s.startedAt) : 0;
        const byPercent = s.progress?.percent != null ? (s.estimateMs * s.progress.percent) / 100 : spent;
        const progressed = Math.min(s.estimateMs, Math.max(0, byPercent));
        doneMs += progressed;
        left += s.estimateMs - progressed;
      } else left += s.estimateMs;
    }
    if (u && u.status !== 'failed' && u.status !== 'cancelled') remaining.push(left);
    return {
      id,
      status: u?.status ?? 'pending',
      steps: (u?.steps ?? []).map((s) => ({
        kind: s.kind,
        state: s.state,
        percent: s.state === 'done' ? 100 : (s.progress?.percent ?? (s.state === 'running' ? 0 : null)),
        message: s.progress?.message ?? null,
      })),
    };
  });
  const active = run.status === 'running' || run.status === 'queued';
  const sum = remaining.reduce((a, b) => a + b, 0);
  const eta = Math.max(Math.max(0, ...remaining), Math.ceil(sum / Math.max(1, maxParallelUnits)));
  return {
    id: run.id,
    kind: run.kind,
    from: run.from,
    to: run.to,
    status: run.status,
    requestedBy: run.requestedBy,
    version: run.version,
    percent: total === 0 ? 100 : Math.round((doneMs / total) * 100),
    etaMs: active ? eta : null,
    haltedBy: run.haltedBy,
    error: run.error,
    units,
  };
}

export async function getRunState(store: RunStore, runId: string): Promise<RunState> {
  const run = await store.require(runId);
  const plan = await store.plan(runId);
  return runState(run, plan.parallelism.maxParallelUnits);
}
