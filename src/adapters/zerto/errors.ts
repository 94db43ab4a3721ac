import { BasculeError, type BasculeErrorOptions } from '../../domain/errors.js';
import { classifyTransportFailure } from '../http/failure.js';

export type ZertoErrorCode =
  | 'ZERTO_AUTH'
  | 'ZERTO_CONNECTION'
  | 'ZERTO_TLS'
  | 'ZERTO_TIMEOUT'
  | 'ZERTO_ABORTED'
  | 'ZERTO_REQUEST'
  | 'ZERTO_SERVER'
  | 'ZERTO_BAD_RESPONSE'
  | 'ZERTO_NOT_FOUND'
  | 'ZERTO_AMBIGUOUS'
  | 'ZERTO_BAD_UNIT'
  | 'ZERTO_BAD_SITE'
  | 'ZERTO_WRONG_STATE'
  | 'ZERTO_TASK_FAILED';

export class ZertoError extends BasculeError {
  declare readonly code: ZertoErrorCode;

  constructor(code: ZertoErrorCode, message: string, options: BasculeErrorOptions = {}) {
    super(code, message, options);
  }
}

/** A transport failure (no HTTP answer) as a typed error: TLS refusals are final, the rest retryable. */
export function transportError(err: unknown, url: string, signal: AbortSignal | undefined): ZertoError {
  const { kind, code } = classifyTransportFailure(err, signal);
  if (kind === 'aborted') {
    return new ZertoError('ZERTO_ABORTED', `request to Zerto ${url} was cancelled`, { cause: err });
  }
  if (kind === 'tls') {
    return new ZertoError('ZERTO_TLS', `Zerto certificate at ${url} is not trusted (${code})`, {
      cause: err,
      hint: "Set caFile on the zerto array to the PEM of the CA that signed the ZVM's certificate.",
    });
  }
  if (kind === 'timeout') {
    return new ZertoError('ZERTO_TIMEOUT', `Zerto at ${url} did not answer in time (${code})`, {
      cause: err,
      retryable: true,
      hint: 'Check that the ZVM is up; the job will try again.',
    });
  }
  return new ZertoError('ZERTO_CONNECTION', `cannot reach Zerto at ${url} (${code ?? String(err)})`, {
    cause: err,
    retryable: true,
    hint: 'Check the ZVM address and port (9669 for a Windows ZVM, 443 for the appliance); the job will try again.',
  });
}
