import { BasculeError, type BasculeErrorOptions } from '../../domain/errors.js';

// Every failure the Storwize adapter reports, with a stable code. `retryable` says whether running
// the same step again can succeed without a human changing something first.

export type StorwizeErrorCode =
  | 'STORWIZE_NOT_FOUND'
  | 'STORWIZE_WRONG_STATE'
  | 'STORWIZE_DISCONNECTED'
  | 'STORWIZE_IN_CONSISTENCY_GROUP'
  | 'STORWIZE_AUTH'
  | 'STORWIZE_UNREACHABLE'
  | 'STORWIZE_CONNECTION_LOST'
  | 'STORWIZE_TIMEOUT'
  | 'STORWIZE_HOST_KEY_MISMATCH'
  | 'STORWIZE_INVALID_NAME'
  | 'STORWIZE_COMMAND_FAILED'
  | 'STORWIZE_UNEXPECTED_OUTPUT'
  | 'STORWIZE_CONFIG'
  | 'STORWIZE_ABORTED';

export class StorwizeError extends BasculeError {
  declare readonly code: StorwizeErrorCode;

  constructor(code: StorwizeErrorCode, message: string, options: BasculeErrorOptions = {}) {
    super(code, message, options);
  }
}

export function isStorwizeError(err: unknown, ...codes: StorwizeErrorCode[]): err is StorwizeError {
  return err instanceof StorwizeError && (codes.length === 0 || codes.includes(err.code));
}

/** Failures after which the array may or may not have run the command: read the state back. */
export function isUncertain(err: unknown): boolean {
  return isStorwizeError(err, 'STORWIZE_CONNECTION_LOST', 'STORWIZE_TIMEOUT');
}

/** Failures of the path to an array, as opposed to answers from it. */
export function isTransport(err: unknown): boolean {
  return isStorwizeError(err, 'STORWIZE_CONNECTION_LOST', 'STORWIZE_TIMEOUT', 'STORWIZE_UNREACHABLE');
}

export function invalidName(name: string, what: string): StorwizeError {
  return new StorwizeError('STORWIZE_INVALID_NAME', `${what} "${name}" is not a valid Storwize object name`, {
    hint:
      'Storwize names use letters, digits, "_", "-" and ".", at most 63 characters, not starting with a digit ' +
      'or "-". Fix the name in sites.yaml; nothing was sent to the array.',
    details: { name: JSON.stringify(name), what },
  });
}

export function unexpectedOutput(array: string, what: string, excerpt?: string): StorwizeError {
  return new StorwizeError('STORWIZE_UNEXPECTED_OUTPUT', `${array}: unexpected CLI output: ${what}`, {
    hint: 'The array answered in a form Bascule does not know (a new code level?). Nothing more was done; check the array with its own CLI and report the output.',
    details: { array, excerpt: excerpt?.slice(0, 500) },
  });
}

export function aborted(): StorwizeError {
  return new StorwizeError('STORWIZE_ABORTED', 'the Storwize action was cancelled', {
    hint: 'Read the unit status before running the step again: a command may have been accepted just before the cancel.',
  });
}
