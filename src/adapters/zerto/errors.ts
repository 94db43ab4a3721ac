import { BasculeError, type BasculeErrorOptions } from '../../domain/errors.js';

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
export function transportError(err: unknown, url: string, signal: AbortSignal | undefined): ZertoError {
  if (signal?.aborted) {
    return new ZertoError('ZERTO_ABORTED', `request to Zerto ${url} was cancelled`, { cause: err });
  }
  const code = errorCode(err);
  if (code && tlsCodes.has(code)) {
    return new ZertoError('ZERTO_TLS', `Zerto certificate at ${url} is not trusted (${code})`, {
      cause: err,
      hint: "Set caFile on the zerto array to the PEM of the CA that signed the ZVM's certificate.",
    });
  }
  if (
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  ) {
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
