import { BasculeError } from '../../domain/errors.js';
import type { StepOutcome, StepProgress } from '../steps/types.js';
import type { RunStore } from './run-store.js';
import type { RunRecord, StepError, StepRecord, UnitRecord, UnitStatus } from './types.js';

// Step checkpoints: `running` is written before the executor is called and `done`/`failed` after
// it returns, each atomically with its audit entry and event. A step found `running` after a crash
// is simply run again (executors are idempotent).

export function unitOf(run: RunRecord, unitId: string): UnitRecord {
  const unit = run.units[unitId];
  if (!unit) {
    throw new BasculeError('RUN_UNIT_UNKNOWN', `run ${run.id} has no unit ${unitId}`, {
      hint: `Units of this run: ${run.unitOrder.join(', ')}.`,
    });
  }
  return unit;
}

function unitStep(run: Readonly<RunRecord>, unit: UnitRecord, index: number): StepRecord {
  const step = unit.steps[index];
  if (!step)
    throw new BasculeError('RUN_STEP_UNKNOWN', `unit ${unit.id} of run ${run.id} has no step ${index + 1}`);
  return step;
}

// The version is stamped by the store as the write lands (events.ts).
const stepEvent = (runId: string, unitId: string, index: number, s: StepRecord) => ({
  type: 'step' as const,
  runId,
  unitId,
  index,
  kind: s.kind,
  state: s.state,
  percent: s.progress?.percent ?? null,
  message: s.progress?.message ?? null,
  version: 0,
});

export async function markStepRunning(
  store: RunStore,
  runId: string,
  unitId: string,
  index: number,
): Promise<StepRecord> {
  const { unit, run } = await store.updateUnit(runId, unitId, (u, r) => {
    const s = unitStep(r, u, index);
    const at = new Date().toISOString();
    const resumed = s.state === 'running';
    s.state = 'running';
    s.attempts += 1;
    s.startedAt = s.startedAt ?? at;
    s.endedAt = null;
    s.error = null;
    return {
      audit: [
        {
          type: 'step-start',
          runId,
          user: null,
          planHash: r.planHash,
          details: { unit: unitId, step: index, kind: s.kind, attempt: s.attempts, resumed },
        },
      ],
      events: [stepEvent(runId, unitId, index, s)],
    };
  });
  return unitStep(run, unit, index);
}

export async function markStepDone(
  store: RunStore,
  runId: string,
  unitId: string,
  index: number,
  outcome: StepOutcome,
): Promise<void> {
  await store.updateUnit(runId, unitId, (u, r) => {
    const s = unitStep(r, u, index);
    s.state = 'done';
    s.endedAt = new Date().toISOString();
    s.outcome = outcome.details
      ? { summary: outcome.summary, details: outcome.details }
      : { summary: outcome.summary };
    s.progress = { percent: 100, message: outcome.summary };
    return {
      audit: [
        {
          type: 'step-done',
          runId,
          user: null,
          planHash: r.planHash,
          details: { unit: unitId, step: index, kind: s.kind, summary: outcome.summary },
        },
      ],
      events: [stepEvent(runId, unitId, index, s)],
    };
  });
}

/** Marks the step and its unit failed; returns the run as read (its own fields, this unit). */
export async function markStepFailed(
  store: RunStore,
  runId: string,
  unitId: string,
  index: number,
  error: StepError,
): Promise<RunRecord> {
  const { run } = await store.updateUnit(runId, unitId, (u, r) => {
    const s = unitStep(r, u, index);
    s.state = 'failed';
    s.endedAt = new Date().toISOString();
    s.error = error;
    u.status = 'failed';
    u.endedAt = s.endedAt;
    return {
      audit: [
        {
          type: 'step-failed',
          runId,
          user: null,
          planHash: r.planHash,
          details: { unit: unitId, step: index, kind: s.kind, error },
        },
      ],
      events: [
        stepEvent(runId, unitId, index, s),
        { type: 'unit', runId, unitId, status: 'failed', version: 0 },
        { type: 'alert', runId, unitId, code: error.code, message: error.message, hint: error.hint },
      ],
    };
  });
  return run;
}

export async function recordProgress(
  store: RunStore,
  runId: string,
  unitId: string,
  index: number,
  p: StepProgress,
): Promise<void> {
  await store.updateUnit(runId, unitId, (u, r) => {
    const s = unitStep(r, u, index);
    if (s.state !== 'running') return null;
    s.progress = { percent: p.percent, message: p.message };
    return { events: [stepEvent(runId, unitId, index, s)] };
  });
}

/** Sets the unit's status (no-op when it already has it). */
export async function setUnitStatus(
  store: RunStore,
  runId: string,
  unitId: string,
  status: UnitStatus,
): Promise<void> {
  await store.updateUnit(runId, unitId, (u) => {
    if (u.status === status) return null;
    const at = new Date().toISOString();
    u.status = status;
    if (status === 'running') u.startedAt = u.startedAt ?? at;
    if (status === 'succeeded' || status === 'failed' || status === 'cancelled') u.endedAt = at;
    return { events: [{ type: 'unit', runId, unitId, status, version: 0 }] };
  });
}
export function toStepError(err: unknown): StepError {
  if (err instanceof BasculeError) return { code: err.code, message: err.message, hint: err.hint ?? null };
  const message = err instanceof Error ? err.message : String(err);
  return {
    code: 'STEP_FAILED',
    message,
    hint: 'Read the worker log for this run id, fix the cause, then retry.',
  };
}
