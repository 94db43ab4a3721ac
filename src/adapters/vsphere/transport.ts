import { createHash, X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { Agent, buildConnector } from 'undici';
import { isTlsCode, transportErrorCode } from '../http/failure.js';
import { responseOf, soapFaultOf } from './decode.js';
import { envelope, type MethodCall } from './encode.js';
import { VsphereError, VsphereFaultError } from './errors.js';
import { type ParseOptions, parseXml, type XmlElement, type XmlNode } from './xml.js';

// HTTP side of the client: one undici Agent per vCenter (its own keep-alive pool and its own TLS
// trust, never the process-wide one), POST /sdk, the session cookie, SOAP faults turned into typed
// errors, and retries. Only reads are retried here: a state-changing call whose response was lost
// may have happened, and the operations layer decides what to do after reading the state again.

export interface VsphereTls {
  /** PEM of the CA that signed vCenter's certificate; absent means the system store. */
  caPem?: string;
  /**
   * SHA-256 fingerprint of vCenter's certificate (`AA:BB:…`, as the vSphere client shows it). When
   * set, it replaces the CA check: the usual way to trust a VMCA-signed vCenter.
   */
  thumbprint?: string;
}

export interface VsphereLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface TransportOptions {
  /** `https://vcenter.example.edu/sdk` */
  url: string;
  tls?: VsphereTls;
  /** Limit for one SOAP call (connection, server time and body). */
  requestTimeoutMs?: number;
  /** Attempts for idempotent reads on transport errors (1 = no retry). */
  readAttempts?: number;
  /** First backoff delay; doubled on each attempt, with jitter. */
  retryBaseDelayMs?: number;
  /** Sockets kept open to vCenter. */
  connections?: number;
  logger?: VsphereLogger;
}

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

const SESSION_COOKIE = 'vmware_soap_session';

// Retrieve*/Query*/Find* only read: sending one twice cannot change anything in vCenter.
// ContinueRetrievePropertiesEx is left out on purpose: a lost page may already have advanced the token.
const idempotentRead = /^(Retrieve|Query|Find)/;

export function isIdempotentRead(method: string): boolean {
  return idempotentRead.test(method);
}

// Node/OpenSSL codes meaning "the certificate chain or name did not verify".
class ThumbprintMismatchError extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`vCenter certificate thumbprint ${actual} does not match the pinned ${expected}`);
  }
}

export function normalizeThumbprint(t: string): string {
  return t.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
}

/** SHA-256 thumbprint of a PEM certificate, formatted as the vSphere client shows it. */
export function certificateThumbprint(pem: string): string {
  const der = new X509Certificate(pem).raw;
  const hex = createHash('sha256').update(der).digest('hex').toUpperCase();
  return hex.match(/../g)?.join(':') ?? hex;
}

function tlsConnector(tls: VsphereTls, connectTimeoutMs: number): buildConnector.connector {
  const pin = tls.thumbprint === undefined ? undefined : normalizeThumbprint(tls.thumbprint);
  const base = buildConnector({
    ...(tls.caPem === undefined ? {} : { ca: tls.caPem }),
    // With a pin, the chain and host name are not what we trust (vCenter's VMCA is usually in no
    // store): the fingerprint comparison just below, done before undici may write a single byte,
    // is the check instead. Without a pin, Node verifies the chain and the host name as usual.
    rejectUnauthorized: pin === undefined,
    // A resumed TLS session may not present the certificate again, and then there is nothing
    // to compare the pin with: pinned connections always do a full handshake.
    ...(pin === undefined ? {} : { maxCachedSessions: 0 }),
    timeout: connectTimeoutMs,
  });
  return (options, callback) => {
    base(options, (err, socket) => {
      if (err !== null || socket === null) {
        callback(err ?? new Error('connection failed'), null);
        return;
      }
      if (pin !== undefined) {
        const actual = normalizeThumbprint((socket as TLSSocket).getPeerCertificate().fingerprint256 ?? '');
        if (actual !== pin) {
          socket.destroy();
          callback(new ThumbprintMismatchError(pin, actual), null);
          return;
        }
      }
      callback(null, socket);
    });
  };
}

/** Waits, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class SoapTransport {
  readonly url: URL;
  /** `urn:vim25` until the server's API version is known, then `urn:vim25/<apiVersion>`. */
  soapAction = 'urn:vim25';
  private readonly agent: Agent;
  private readonly requestTimeoutMs: number;
  private readonly readAttempts: number;
  private readonly retryBaseDelayMs: number;
  private readonly logger: VsphereLogger | undefined;
  private cookie: string | null = null;
  private closed = false;

  constructor(options: TransportOptions) {
    this.url = new URL(options.url);
    if (this.url.protocol !== 'https:') {
      throw new VsphereError('VSPHERE_INVALID_ARGUMENT', `vCenter URL ${options.url} is not https`, {
        method: 'connect',
        hint: 'Use the https://<vcenter>/sdk URL in sites.yaml; Bascule does not send credentials in clear text.',
      });
    }
    this.requestTimeoutMs = options.requestTimeoutMs ?? 120_000;
    this.readAttempts = Math.max(1, options.readAttempts ?? 3);
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 250;
    this.logger = options.logger;
    this.agent = new Agent({
      connect: tlsConnector(options.tls ?? {}, Math.min(this.requestTimeoutMs, 30_000)),
      connections: options.connections ?? 8,
      // Short, below any proxy idle timeout in front of vCenter: a POST on a socket the server
      // has just closed fails, and state-changing calls are never retried.
      keepAliveTimeout: 4_000,
      // The per-call AbortSignal (requestTimeoutMs) is the one clock; undici's own would race it.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  }

  get hasSession(): boolean {
    return this.cookie !== null;
  }

  clearSession(): void {
    this.cookie = null;
  }

  /** Sends one call and returns its `<MethodResponse>` element, or throws a VsphereError. */
  async call(call: MethodCall, options: CallOptions = {}): Promise<XmlNode> {
    return this.parseResponse(call.method, await this.callText(call, options));
  }

  /**
   * Sends one call and returns the text of its (HTTP 200) answer, not parsed yet, so a caller can
   * start the next request before decoding this one. Faults and errors are thrown typed; reads
   * are retried on transport errors and timeouts.
   */
  async callText(call: MethodCall, options: CallOptions = {}): Promise<string> {
    const attempts = isIdempotentRead(call.method) ? this.readAttempts : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        const { status, text } = await this.post(call, options);
        if (status === 200) return text;
        if (status === 500) this.parseResponse(call.method, text, status);
        throw this.statusError(call.method, status);
      } catch (err) {
        const retry =
          attempt < attempts &&
          err instanceof VsphereError &&
          err.retryable &&
          (err.code === 'VSPHERE_TRANSPORT' || err.code === 'VSPHERE_TIMEOUT');
        if (!retry) throw err;
        const delay = this.retryBaseDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5);
        this.logger?.warn(
          { method: call.method, attempt, delayMs: Math.round(delay), err: err.message },
          'vSphere read failed, retrying',
        );
        try {
          await sleep(delay, options.signal);
        } catch (reason) {
          throw this.abortedError(call.method, reason);
        }
      }
    }
  }

  /** Parses an answer: throws the SOAP fault it carries, else returns its `<MethodResponse>`. */
  parseResponse(method: string, text: string, status = 200, parse: ParseOptions = {}): XmlNode {
    let doc: XmlElement;
    try {
      doc = parseXml(text, parse);
    } catch (err) {
      throw new VsphereError('VSPHERE_PROTOCOL', `${method}: unreadable XML from vCenter (HTTP ${status})`, {
        method,
        retryable: status === 500,
        hint: 'Something between Bascule and vCenter (a proxy, a load balancer) may be answering; check the URL.',
        cause: err,
      });
    }
    const fault = soapFaultOf(doc);
    if (fault !== null) {
      throw new VsphereFaultError(method, fault.faultType, fault.message, { details: fault.details });
    }
    try {
      return responseOf(doc, method);
    } catch (err) {
      throw new VsphereError(
        'VSPHERE_PROTOCOL',
        `${method}: unexpected SOAP body from vCenter (HTTP ${status})`,
        {
          method,
          retryable: status === 500,
          hint: 'Check that the URL points at the vCenter /sdk endpoint.',
          cause: err,
        },
      );
    }
  }

  /**
   * The bytes of one exchange without any decoding: the benchmark's floor. Throws on transport
   * errors and non-200 statuses only.
   */
  async rawPost(call: MethodCall, options: CallOptions = {}): Promise<string> {
    const { status, text } = await this.post(call, options);
    if (status !== 200) throw this.statusError(call.method, status);
    return text;
  }

  /** Closes the connection pool; later calls are no-ops. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.agent.close();
  }

  private async post(call: MethodCall, options: CallOptions): Promise<{ status: number; text: string }> {
    if (options.signal?.aborted) throw this.abortedError(call.method, options.signal.reason);
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.requestTimeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const headers: Record<string, string> = {
      'content-type': 'text/xml; charset="utf-8"',
      soapaction: this.soapAction,
    };
    if (this.cookie !== null) headers.cookie = this.cookie;
    const started = performance.now();
    try {
      const res = await this.agent.request({
        origin: this.url.origin,
        path: this.url.pathname,
        method: 'POST',
        headers,
        body: envelope(call),
        signal,
      });
      this.keepCookie(res.headers['set-cookie']);
      const text = await res.body.text();
      // Method, status, size and time only: bodies carry passwords and are never logged.
      this.logger?.debug(
        {
          method: call.method,
          status: res.statusCode,
          bytes: text.length,
          ms: Math.round(performance.now() - started),
        },
        'vSphere call',
      );
      return { status: res.statusCode, text };
    } catch (err) {
      if (options.signal?.aborted) throw this.abortedError(call.method, err);
      if (timeout.aborted) {
        throw new VsphereError(
          'VSPHERE_TIMEOUT',
          `${call.method}: no answer from vCenter in ${options.timeoutMs ?? this.requestTimeoutMs} ms`,
          {
            method: call.method,
            retryable: true,
            hint: 'vCenter is slow or unreachable; check its health (vCenter appliance, network), then retry.',
            cause: err,
          },
        );
      }
      throw this.connectionError(call.method, err);
    }
  }

  private keepCookie(setCookie: string | string[] | undefined): void {
    const list = setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie];
    for (const c of list) {
      const pair = c.split(';', 1)[0]?.trim();
      if (pair?.startsWith(`${SESSION_COOKIE}=`)) this.cookie = pair;
    }
  }

  private connectionError(method: string, err: unknown): VsphereError {
    if (err instanceof ThumbprintMismatchError) {
      return new VsphereError('VSPHERE_TLS', `${method}: ${err.message}`, {
        method,
        hint:
          "If vCenter's certificate was renewed, get the new SHA-256 thumbprint from the vSphere admins and update " +
          'vcenter.thumbprint in sites.yaml; if not, the connection may be intercepted: do not proceed.',
        details: { expected: err.expected, actual: err.actual },
        cause: err,
      });
    }
    const code = transportErrorCode(err);
    if (isTlsCode(code)) {
      return new VsphereError('VSPHERE_TLS', `${method}: vCenter's certificate was not accepted (${code})`, {
        method,
        hint:
          "Set vcenter.caFile in sites.yaml to the CA that signed vCenter's certificate (the VMCA root from " +
          'https://<vcenter>/certs/download.zip), or pin its SHA-256 thumbprint with vcenter.thumbprint.',
        details: { tlsCode: code },
        cause: err,
      });
    }
    return new VsphereError(
      'VSPHERE_TRANSPORT',
      `${method}: cannot talk to vCenter at ${this.url.host} (${code ?? String(err)})`,
      {
        method,
        retryable: true,
        hint: 'Check that vCenter is up and reachable from Bascule (DNS, firewall, port 443), then retry.',
        details: { errorCode: code },
        cause: err,
      },
    );
  }

  private statusError(method: string, status: number): VsphereError {
    const transient = status === 429 || status === 502 || status === 503 || status === 504;
    return new VsphereError('VSPHERE_TRANSPORT', `${method}: vCenter answered HTTP ${status}`, {
      method,
      retryable: transient,
      hint: transient
        ? 'vCenter or a proxy in front of it is overloaded or restarting; retry in a few minutes.'
        : 'Check that the URL in sites.yaml is the vCenter SOAP endpoint (https://<vcenter>/sdk).',
      details: { status },
    });
  }

  private abortedError(method: string, cause: unknown): VsphereError {
    return new VsphereError('VSPHERE_ABORTED', `${method}: cancelled`, {
      method,
      hint: 'The step was cancelled; a task already started keeps running in vCenter, so check it before re-running.',
      cause,
    });
  }
}
