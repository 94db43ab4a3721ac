import { BasculeError, type BasculeErrorOptions } from '../../domain/errors.js';
import { classifyTransportFailure } from '../http/failure.js';

export type DsmErrorCode =
  | 'DSM_AUTH'
  | 'DSM_VERSION'
  | 'DSM_CONNECTION'
  | 'DSM_TLS'
  | 'DSM_TIMEOUT'
  | 'DSM_ABORTED'
  | 'DSM_REQUEST'
  | 'DSM_SERVER'
  | 'DSM_BAD_RESPONSE'
  | 'DSM_NOT_FOUND'
  | 'DSM_AMBIGUOUS'
  | 'DSM_BAD_UNIT'
  | 'DSM_BAD_SITE'
  | 'DSM_UNKNOWN_STORAGE_CENTER'
  | 'DSM_WRONG_STATE'
  | 'DSM_TASK_FAILED'
  | 'DSM_SWAP_FAILED'
  | 'DSM_FAILOVER_MANUAL';

export class DsmError extends BasculeError {
  declare readonly code: DsmErrorCode;

  constructor(code: DsmErrorCode, message: string, options: BasculeErrorOptions = {}) {
    super(code, message, options);
  }
}

/** A transport failure (no HTTP answer) as a typed error: TLS refusals are final, the rest retryable. */
export function transportError(err: unknown, url: string, signal: AbortSignal | undefined): DsmError {
  const { kind, code } = classifyTransportFailure(err, signal);
  if (kind === 'aborted') {
    return new DsmError('DSM_ABORTED', `request to DSM ${url} was cancelled`, { cause: err });
  }
  if (kind === 'tls') {
    return new DsmError('DSM_TLS', `DSM certificate at ${url} is not trusted (${code})`, {
      cause: err,
      hint: "Set caFile on the dell-dsm array to the PEM of the CA that signed the Data Collector's certificate.",
    });
  }
  if (kind === 'timeout') {
    return new DsmError('DSM_TIMEOUT', `DSM at ${url} did not answer in time (${code})`, {
      cause: err,
      retryable: true,
      hint: 'Check that the Data Collector service is running; the job will try again.',
    });
  }
  return new DsmError('DSM_CONNECTION', `cannot reach DSM at ${url} (${code ?? String(err)})`, {
    cause: err,
    retryable: true,
    hint: 'Check the Data Collector host and port (3033 by default) and the network path; the job will try again.',
  });
}
