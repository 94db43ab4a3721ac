import { DecodeError, serviceContentOf, userSessionOf } from './decode.js';
import type { MethodCall } from './encode.js';
import * as enc from './encode.js';
import { VsphereError, VsphereFaultError } from './errors.js';
import { readObject } from './retrieve.js';
import { type CallOptions, SoapTransport, type TransportOptions, type VsphereLogger } from './transport.js';
import type { ServiceContent, UserSession } from './types.js';
import type { ParseOptions, XmlNode } from './xml.js';

// A logged-in vCenter session. `invoke` is the one way calls go out: it decodes the response with
// the caller's decoder and, when vCenter says the session is gone (NotAuthenticated: expiry,
// vCenter restart, an admin closing sessions), logs in again once and repeats the call.
// Repeating is safe even for state-changing calls, because vCenter checks the session before
// doing anything. Concurrent calls that hit the same expiry share one re-login.

export interface VsphereConnectOptions extends TransportOptions {
  userName: string;
  password: string;
}

export function isFault(err: unknown, faultType: string): err is VsphereFaultError {
  return err instanceof VsphereFaultError && err.faultType === faultType;
}

/** Runs a decoder; a response it cannot read becomes VSPHERE_PROTOCOL for that method. */
function decodeWith<T>(method: string, res: XmlNode, decode: (res: XmlNode) => T): T {
  try {
    return decode(res);
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    throw new VsphereError('VSPHERE_PROTOCOL', `${method}: unexpected response from vCenter: ${err.reason}`, {
      method,
      hint: 'This vCenter answers in a shape Bascule does not know; report it with the vCenter version.',
      cause: err,
    });
  }
}

export class VsphereSession {
  readonly transport: SoapTransport;
  readonly content: ServiceContent;
  readonly logger: VsphereLogger | undefined;
  readonly #userName: string;
  // Kept for the transparent re-login; a private field so it never shows in logs or inspection.
  readonly #password: string;
  #user: UserSession | null = null;
  #generation = 0;
  #renewal: Promise<void> | null = null;

  private constructor(transport: SoapTransport, content: ServiceContent, options: VsphereConnectOptions) {
    this.transport = transport;
    this.content = content;
    this.logger = options.logger;
    this.#userName = options.userName;
    this.#password = options.password;
  }

  /** Reads the ServiceContent, switches to the server's API version and logs in. */
  static async connect(
    options: VsphereConnectOptions,
    callOptions: CallOptions = {},
  ): Promise<VsphereSession> {
    const transport = new SoapTransport(options);
    try {
      const call = enc.retrieveServiceContent();
      const content = decodeWith(call.method, await transport.call(call, callOptions), serviceContentOf);
      transport.soapAction = `urn:vim25/${content.about.apiVersion}`;
      const session = new VsphereSession(transport, content, options);
      await session.login(callOptions);
      return session;
    } catch (err) {
      await transport.close();
      throw err;
    }
  }

  get user(): UserSession | null {
    return this.#user;
  }

  /** Increases on every login: objects tied to a session (views, tokens) die with older generations. */
  get generation(): number {
    return this.#generation;
  }

  /** Sends a call, decodes its response; re-logs in once on NotAuthenticated. */
  async invoke<T>(call: MethodCall, decode: (res: XmlNode) => T, options: CallOptions = {}): Promise<T> {
    return this.withLogin(call.method, options, () => this.invokeOnce(call, decode, options));
  }

  /**
   * Sends a call and returns its answer as text, to be decoded later with `decodeText`: lets a
   * reader ask for the next page before decoding this one. Re-logs in once on NotAuthenticated.
   */
  async invokeText(call: MethodCall, options: CallOptions = {}): Promise<string> {
    return this.withLogin(call.method, options, () => this.transport.callText(call, options));
  }

  /** Parses and decodes an answer from `invokeText`, with the errors `invoke` would give. */
  decodeText<T>(method: string, text: string, decode: (res: XmlNode) => T, parse: ParseOptions = {}): T {
    return decodeWith(method, this.transport.parseResponse(method, text, 200, parse), decode);
  }

  /**
   * Logs in again after NotAuthenticated seen by a call sent under `failedGeneration`, unless
   * another call did already. Concurrent callers share one login.
   */
  async relogin(failedGeneration: number, options: CallOptions = {}): Promise<void> {
    if (this.#generation !== failedGeneration) return;
    if (this.#renewal === null) {
      this.logger?.warn({ vcenter: this.transport.url.host }, 'vSphere session expired, logging in again');
      // Shared by every waiter: one caller cancelling must not cancel the others' login.
      this.#renewal = this.login({ timeoutMs: options.timeoutMs }).finally(() => {
        this.#renewal = null;
      });
    }
    await this.#renewal;
  }

  /** Logs in again if the session is gone; true when it had to (session objects were lost). */
  async ensureActive(options: CallOptions = {}): Promise<boolean> {
    const generation = this.#generation;
    const props = await readObject(this, this.content.sessionManager, ['currentSession'], options);
    if (props?.get('currentSession') === undefined) await this.relogin(generation, options);
    return this.#generation !== generation;
  }

  async logout(options: CallOptions = {}): Promise<void> {
    if (!this.transport.hasSession) return;
    try {
      await this.invokeOnce(enc.logout(this.content.sessionManager), () => undefined, options);
    } catch (err) {
      // A session vCenter no longer knows is already logged out: that is the goal, not a failure.
      if (!isFault(err, 'NotAuthenticated')) throw err;
    } finally {
      this.transport.clearSession();
      this.#user = null;
    }
  }

  /** Logs out and closes the connection pool. */
  async close(options: CallOptions = {}): Promise<void> {
    try {
      await this.logout(options);
    } finally {
      await this.transport.close();
    }
  }

  private async withLogin<T>(method: string, options: CallOptions, send: () => Promise<T>): Promise<T> {
    const generation = this.#generation;
    try {
      return await send();
    } catch (err) {
      if (!isFault(err, 'NotAuthenticated') || method === 'Login' || method === 'Logout') throw err;
      await this.relogin(generation, options);
      return await send();
    }
  }

  private async invokeOnce<T>(
    call: MethodCall,
    decode: (res: XmlNode) => T,
    options: CallOptions,
  ): Promise<T> {
    return decodeWith(call.method, await this.transport.call(call, options), decode);
  }

  private async login(options: CallOptions): Promise<void> {
    this.transport.clearSession();
    const call = enc.login(this.content.sessionManager, this.#userName, this.#password);
    this.#user = await this.invokeOnce(call, userSessionOf, options);
    this.#generation++;
  }
}
