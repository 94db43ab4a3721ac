import { BasculeError, type BasculeErrorOptions } from '../../domain/errors.js';

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

const tlsCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A transport failure (no HTTP answer) as a typed error: TLS refusals are final, the rest retryable. */
export function transportError(err: unknown, url: string, signal: AbortSignal | undefined): DsmError {
  if (signal?.aborted) {
    return new DsmError('DSM_ABORTED', `request to DSM ${url} was cancelled`, { cause: err });
  }
  const code = errorCode(err);
  if (code && tlsCodes.has(code)) {
    return new DsmError('DSM_TLS', `DSM certificate at ${url} is not trusted (${code})`, {
      cause: err,
      hint: "Set caFile on the dell-dsm array to the PEM of the CA that signed the Data Collector's certificate.",
    });
  }
  if (
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  ) {
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
