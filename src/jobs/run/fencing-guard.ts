import { BasculeError } from '../../domain/errors.js';
import {
  describeVerdict,
  FENCED_STEP_KINDS,
  FENCING_OVERRIDE_APPROVERS,
  type FencingVerdict,
} from '../../domain/fencing.js';
import type { UnitPlan } from '../../domain/plan/types.js';
import type { RunFencing, RunRecord, StepError } from './types.js';

// The run engine's half of the failover fencing guard: what a run record must hold before a
// failover starts (the override and its two approvers when the source answered), and the check
// made again just before the first step of a unit that makes a replica writable or starts VMs.

export function runFencingOf(
  verdict: FencingVerdict | null | undefined,
  override: boolean,
): RunFencing | null {
  if (!verdict) return override ? { verdict: 'unknown', targets: [], override } : null;
  const targets =
    verdict.verdict === 'source-answers'
      ? verdict.answered
      : verdict.verdict === 'unknown'
        ? verdict.unknown
        : [];
  return { verdict: verdict.verdict, targets, override };
}

/** Approvals a run needs: the configured count, and two when the fencing guard is overridden. */
export function approvalsNeeded(required: number, fencing: RunFencing | null | undefined): number {
  return Math.max(1, required, fencing?.override ? FENCING_OVERRIDE_APPROVERS : 1);
}

/** Distinct approvers other than the requester. */
export function distinctApprovers(run: RunRecord): string[] {
  return [...new Set(run.approvals.map((a) => a.user))].filter((u) => u !== run.requestedBy);
}

/** Why a failover run may not start (null: it may). */
export function fencingRefusal(run: RunRecord): StepError | null {
  if (run.kind !== 'failover' || !run.fencing) return null;
  const f = run.fencing;
  if (f.verdict === 'source-answers' && !f.override) {
    return {
      code: 'FENCING_SOURCE_ANSWERS',
      message: `the source site ${run.from} still answered at preflight (${f.targets.join(', ')}) and the fencing guard was not overridden`,
      hint: `Use /migrate if ${run.from} is up; else power its hosts and arrays off and run the failover again, or add --override-fencing (two approvers).`,
    };
  }
  const approvers = distinctApprovers(run);
  if (f.override && approvers.length < FENCING_OVERRIDE_APPROVERS) {
    return {
      code: 'FENCING_OVERRIDE_APPROVALS',
      message: `the fencing guard of run ${run.id} was overridden with ${approvers.length} approver(s); it needs ${FENCING_OVERRIDE_APPROVERS} other than the requester`,
      hint: 'Run the failover again and have two other operators approve it.',
    };
  }
  return null;
}

/** Index of the unit's first step that must not run while the source answers; -1 when none. */
export function firstFencedStep(unit: UnitPlan): number {
  return unit.steps.findIndex((s) => FENCED_STEP_KINDS.includes(s.kind));
}

/**
 * The check before that step: a fresh probe of the source. Throws the step's failure when the
 * source answers and the run did not override the guard; returns the verdict otherwise.
 */
export async function guardFencedStep(
  run: RunRecord,
  probe: (run: RunRecord) => Promise<FencingVerdict>,
): Promise<FencingVerdict> {
  const verdict = await probe(run);
  if (verdict.verdict === 'source-answers' && !run.fencing?.override) {
    throw new BasculeError(
      'FENCING_SOURCE_ANSWERS',
      `${describeVerdict(verdict)}; the failover did not make any replica writable nor start any VM`,
      {
        retryable: false,
        hint:
          `If ${run.from} is up, cancel this run and use /migrate. Otherwise power its hosts and arrays off ` +
          '(or isolate them), then retry the unit; or run the failover again with --override-fencing (two approvers).',
        details: { answered: verdict.answered },
      },
    );
  }
  return verdict;
}
