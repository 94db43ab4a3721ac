import type { MoveKind, Plan, StepKind } from '../../domain/plan/types.js';

// The run as Redis stores it: one JSON document per run (the plan is kept beside it, it is large),
// rewritten atomically with a version counter on every transition.

export type RunStatus =
  | 'awaiting-approval'
  | 'queued'
  | 'running'
  | 'paused'
  | 'cancelling'
  | 'cancelled'
  | 'failed'
  | 'succeeded';

export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ['cancelled', 'failed', 'succeeded'];

export type UnitStatus = 'pending' | 'waiting' | 'running' | 'paused' | 'succeeded' | 'failed' | 'cancelled';

export type StepState = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface StepError {
  code: string;
  message: string;
  hint: string | null;
}

export interface StepRecord {
  kind: StepKind;
  state: StepState;
  startedAt: string | null;
  endedAt: string | null;
  attempts: number;
  estimateMs: number;
  progress: { percent: number | null; message: string } | null;
  error: StepError | null;
  skipReason: string | null;
  outcome: { summary: string; details?: Record<string, unknown> } | null;
}

export interface UnitRecord {
  id: string;
  status: UnitStatus;
  startedAt: string | null;
  endedAt: string | null;
  steps: StepRecord[];
}

export interface Approval {
  user: string;
  at: string;
}

export interface RunRecord {
  id: string;
  kind: MoveKind;
  from: string;
  to: string;
  requestedBy: string;
  approvals: Approval[];
  planHash: string;
  status: RunStatus;
  /** Stop every other unit when one fails (default: the others carry on). */
  stopOnFailure: boolean;
  /** Why the run stops starting steps after a unit failed (stopOnFailure); null otherwise. */
  haltedBy: string | null;
  /** Bumped by resume/retry/cancel so the re-queued jobs get fresh ids. */
  generation: number;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  /** Set when the run ends without running its steps (e.g. the plan changed). */
  error: StepError | null;
  units: Record<string, UnitRecord>;
  /** Order of the units as the plan lists them. */
  unitOrder: string[];
  version: number;
}

export interface StoredRun {
  run: RunRecord;
  plan: Plan;
}

export function isTerminal(status: RunStatus): boolean {
  return TERMINAL_RUN_STATUSES.includes(status);
}
