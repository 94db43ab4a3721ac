import { BasculeError, type BasculeErrorOptions } from '../../domain/errors.js';

// Failures of a step as the run engine and the operator see them. Adapter errors (vSphere,
// arrays, Zerto) pass through untouched: they already carry a code, `retryable` and a hint. These
// codes are for what only the step knows: the plan and the world disagree.

export type StepErrorCode =
  | 'STEP_ABORTED'
  | 'STEP_VM_NOT_FOUND'
  | 'STEP_VM_REGISTERED_TWICE'
  | 'STEP_VM_POWERED_ON'
  | 'STEP_STILL_REGISTERED'
  | 'STEP_REGISTERED_ELSEWHERE'
  | 'STEP_NO_TARGET'
  | 'STEP_TEMPLATE_UNSUPPORTED'
  | 'STEP_TOOLS_NOT_RUNNING'
  | 'STEP_SHUTDOWN_TIMEOUT'
  | 'STEP_TOOLS_TIMEOUT'
  | 'STEP_DATASTORE_IN_USE'
  | 'STEP_DATASTORE_UNKNOWN'
  | 'STEP_REPLICA_NOT_VISIBLE'
  | 'STEP_DATACENTER_UNKNOWN'
  | 'STEP_UNIT_UNKNOWN'
  | 'STEP_RESYNC_DIRECTION'
  | 'STEP_ACTIONS_FAILED'
  | 'STEP_VERIFY_FAILED'
  | 'STEP_TEST_FAILED';

export class StepError extends BasculeError {
  declare readonly code: StepErrorCode;

  constructor(code: StepErrorCode, message: string, options: BasculeErrorOptions = {}) {
    super(code, message, options);
  }
}

/** Thrown between actions once the run's signal is aborted; the step is resumed later. */
export function throwIfAborted(signal: AbortSignal, what: string): void {
  if (!signal.aborted) return;
  throw new StepError('STEP_ABORTED', `stopped before ${what}: the run was cancelled or the worker stopped`, {
    retryable: true,
    hint: 'Resume the run: the step reads the state again and does only what is still missing.',
  });
}

export interface ActionFailure {
  target: string;
  error: unknown;
}

/**
 * Several independent actions of one step failed (one per VM or host): the others went on, so a
 * retry has less to do. Retryable only when every failure is.
 */
export function failuresError(what: string, failures: ActionFailure[], total: number): BasculeError {
  const [first] = failures;
  if (failures.length === 1 && first && first.error instanceof BasculeError) return first.error;
  const describe = (f: ActionFailure) =>
    `${f.target}: ${f.error instanceof Error ? f.error.message : String(f.error)}`;
  const retryable = failures.every((f) => f.error instanceof BasculeError && f.error.retryable);
  const firstHint = first?.error instanceof BasculeError ? first.error.hint : undefined;
  return new StepError(
    'STEP_ACTIONS_FAILED',
    `${failures.length} of ${total} ${what} failed: ${failures.map(describe).join('; ')}`,
    {
      retryable,
      hint: firstHint ?? 'Fix the listed objects in the vSphere client, then resume the run.',
      details: {
        failures: failures.map((f) => ({
          target: f.target,
          code: f.error instanceof BasculeError ? f.error.code : null,
          message: f.error instanceof Error ? f.error.message : String(f.error),
        })),
      },
      cause: first?.error,
    },
  );
}
