import { StorwizeError } from './errors.js';
import type { Decision } from './plan.js';
import { siteOfRole } from './status.js';
import type { RcView } from './types.js';

// Errors raised while driving a unit. Each carries the state the array showed (details), so the
// operator and the logs see what the decision was based on.

export function stateDetails(unitId: string, v: RcView): Record<string, unknown> {
  return {
    unit: unitId,
    object: v.name,
    array: v.array,
    state: v.state,
    primarySite: v.primary ? siteOfRole(v, v.primary) : null,
    inSync: v.inSync,
    status: v.status,
    progress: v.progress,
  };
}

export function refusal(
  unitId: string,
  v: RcView,
  d: Extract<Decision, { kind: 'refuse' }>,
  action: string,
): StorwizeError {
  const stoppedOrIdle = v.state === 'consistent_stopped' || v.state === 'idling';
  const sync = stoppedOrIdle ? (v.inSync ? ', in_sync' : ', out_of_sync') : '';
  return new StorwizeError(
    d.code,
    `${action} of ${unitId} refused: ${v.kind} ${v.name} is ${v.state}${sync} on ${v.array}; ${d.reason}`,
    { hint: d.hint, retryable: d.code === 'STORWIZE_DISCONNECTED', details: stateDetails(unitId, v) },
  );
}

export function inConsistencyGroup(unitId: string, v: RcView): StorwizeError {
  return new StorwizeError(
    'STORWIZE_IN_CONSISTENCY_GROUP',
    `relationship ${v.name} belongs to consistency group ${v.consistencyGroup}; the array only moves it with its group`,
    {
      hint: `In sites.yaml, protect ${unitId} with consistencyGroup: ${v.consistencyGroup} instead of relationship.`,
      details: { unit: unitId, relationship: v.name, consistencyGroup: v.consistencyGroup },
    },
  );
}

export function stuck(unitId: string, v: RcView, verb: string): StorwizeError {
  return new StorwizeError(
    'STORWIZE_COMMAND_FAILED',
    `${v.array} accepted ${verb} for ${v.name}, but it is still ${v.state}`,
    {
      hint: 'The array did not do what it acknowledged. Check the unit with lsrcrelationship / lsrcconsistgrp and the event log on the array.',
      details: stateDetails(unitId, v),
    },
  );
}

export function actionTimeout(unitId: string, v: RcView, action: string, limitMs: number): StorwizeError {
  const progress = v.progress === null ? '' : ` (${v.progress}%)`;
  return new StorwizeError(
    'STORWIZE_TIMEOUT',
    `${action} of ${unitId} did not finish within ${limitMs} ms; ${v.name} is ${v.state}${progress}`,
    {
      hint: 'The array keeps working on its own. Run the step again to keep waiting; it resumes from the current state.',
      retryable: true,
      details: stateDetails(unitId, v),
    },
  );
}

/** A command the array refused, with the state it shows now, so the operator sees why. */
export function refusedWithState(err: StorwizeError, unitId: string, seen: RcView): StorwizeError {
  return new StorwizeError('STORWIZE_WRONG_STATE', `${err.message} (${seen.name} is ${seen.state})`, {
    hint: err.hint,
    details: { ...err.details, ...stateDetails(unitId, seen) },
    cause: err,
  });
}

export function bothUnreachable(unitId: string, homeErr: Error, partnerErr: Error): StorwizeError {
  return new StorwizeError(
    'STORWIZE_UNREACHABLE',
    `neither array of ${unitId} answers: ${homeErr.message}; ${partnerErr.message}`,
    {
      hint: 'Check the management network to both arrays, then run the step again.',
      retryable: true,
      cause: homeErr,
    },
  );
}
