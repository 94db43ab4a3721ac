// How a request that got no HTTP answer failed, shared by every HTTPS adapter (vSphere, DSM,
// Zerto): a refused certificate is final (retrying cannot fix trust), a timeout or a dropped
// connection may pass. Each adapter turns the kind into its own coded error and hint.

const tlsErrorCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

const timeoutCodes = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

export function isTlsCode(code: string | undefined): boolean {
  return (
    code !== undefined &&
    (tlsErrorCodes.has(code) || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS'))
  );
}

/**
 * The first TLS verification code in the cause chain, else the outermost error code. undici wraps
 * the socket's error (`UND_ERR_SOCKET` or a fetch TypeError) around the one that says why.
 */
export function transportErrorCode(err: unknown): string | undefined {
  let first: string | undefined;
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code !== 'string') continue;
    if (isTlsCode(code)) return code;
    if (code !== 'UND_ERR_SOCKET') first ??= code;
  }
  return first;
}

export type TransportFailureKind = 'aborted' | 'tls' | 'timeout' | 'connection';

export function classifyTransportFailure(
  err: unknown,
  signal?: AbortSignal,
): { kind: TransportFailureKind; code: string | undefined } {
  const code = transportErrorCode(err);
  if (signal?.aborted) return { kind: 'aborted', code };
  if (isTlsCode(code)) return { kind: 'tls', code };
  if (code !== undefined && timeoutCodes.has(code)) return { kind: 'timeout', code };
  return { kind: 'connection', code };
}
