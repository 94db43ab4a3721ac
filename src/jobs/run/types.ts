import type { MoveKind, Plan, StepKind } from '../../domain/plan/types.js';

// A run as the engine, the bot and the CLI see it. The store keeps it as a header and one
// document per unit (run-store.ts), the plan beside them; `version` counts every write.

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

/** A failover's fencing check as recorded when the run was submitted. */
export interface RunFencing {
  verdict: 'fenced' | 'source-answers' | 'unknown';
  /** What at the source answered (source-answers) or could not be asked (unknown). */
  targets: string[];
  /** --override-fencing: the run may go on although the source answers, with two approvers. */
  override: boolean;
}

export interface RunRecord {
  id: string;
  kind: MoveKind;
  from: string;
  to: string;
  requestedBy: string;
  /** Distinct approvers, never the requester; the run is queued when there are enough. */
  approvals: Approval[];
  /** Approvals needed before the run is queued (absent in runs stored before it existed: 1). */
  requiredApprovals?: number;
  /** Failover runs: the fencing check at submission; null for other runs. */
  fencing?: RunFencing | null;
  /** Approved with a start time (--at): the run job waits in the queue until then. */
  notBefore?: string | null;
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
