import { jsonOf, parse, type RawResponse, type Transport } from './client.js';
import { ZertoError } from './errors.js';
import { oauthErrorSchema, type TokenResponse, tokenSchema } from './schema.js';
import type { ZertoAdapterOptions } from './types.js';

// The two ways to authenticate to a ZVM. Classic Windows ZVMs hand out a session token in the
// x-zerto-session header (dropped after 30 minutes idle); ZVM appliances use Keycloak, whose access
// tokens live about a minute, so they are renewed before they expire rather than after a 401.
// Logins are shared by concurrent calls (the run engine drives several units at once) and are not
// tied to one caller's AbortSignal, so one caller giving up cannot fail the others.

export interface Authenticator {
  headers(): Promise<Record<string, string>>;
  /** Forget the token sent as `used` (the server refused it), unless it was already replaced. */
  invalidate(used: Record<string, string>): void;
  close(): Promise<void>;
}

interface Token {
  access: string;
  /** When to renew, on the adapter's clock. */
  renewAt: number;
  refresh: string | null;
  refreshUntil: number;
}

const SESSION_IDLE_MS = 25 * 60_000;
const KEYCLOAK_CLIENT = 'zerto-client';

function authError(what: string, r: RawResponse, hint: string): ZertoError {
  const parsed = oauthErrorSchema.safeParse(jsonOf(r.text));
  const detail = parsed.success
    ? `${parsed.data.error}: ${parsed.data.error_description ?? ''}`.trim()
    : `HTTP ${r.status}`;
  if (r.status >= 500) {
    return new ZertoError('ZERTO_SERVER', `${what} failed (${detail})`, {
      retryable: true,
      hint: 'The ZVM authentication service had an internal error; the job will try again.',
    });
  }
  return new ZertoError('ZERTO_AUTH', `${what} refused (${detail})`, { hint });
}

/** Runs `start` once for all concurrent callers until it settles. */
class SingleFlight<T> {
  private pending: Promise<T> | null = null;

  run(start: () => Promise<T>): Promise<T> {
    if (this.pending === null) {
      this.pending = start().finally(() => {
        this.pending = null;
      });
    }
    return this.pending;
  }
}

/** Classic v1 session: POST /v1/session/add with Basic credentials. */
export class SessionAuth implements Authenticator {
  private token: string | null = null;
  private lastUsed = 0;
  private readonly login = new SingleFlight<string>();

  constructor(
    private readonly baseUrl: string,
    private readonly transport: Transport,
    private readonly user: string,
    private readonly password: string,
    private readonly now: () => number,
  ) {}

  async headers(): Promise<Record<string, string>> {
    let token = this.token;
    // ZVM drops sessions after 30 minutes idle; start a new one a little before that.
    if (token === null || this.now() - this.lastUsed > SESSION_IDLE_MS) {
      token = await this.login.run(() => this.addSession());
      this.token = token;
    }
    this.lastUsed = this.now();
    return { 'x-zerto-session': token };
  }

  invalidate(used: Record<string, string>): void {
    if (used['x-zerto-session'] === this.token) this.token = null;
  }

  async close(): Promise<void> {
    const token = this.token;
    if (token === null) return;
    this.token = null;
    const r = await this.transport.send(
      'DELETE',
      `${this.baseUrl}/v1/session`,
      { 'x-zerto-session': token },
      undefined,
      undefined,
    );
    // 401: the session had already expired, which is what logging out wanted.
    if (r.status >= 300 && r.status !== 401) {
      throw authError('Zerto logout', r, 'Nothing to do: the session will expire by itself.');
    }
  }

  private async addSession(): Promise<string> {
    const r = await this.transport.send(
      'POST',
      `${this.baseUrl}/v1/session/add`,
      {
        authorization: `Basic ${Buffer.from(`${this.user}:${this.password}`).toString('base64')}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      // "1" as a string, as Zerto's own PowerShell wrapper sends it.
      JSON.stringify({ AuthenticationMethod: '1' }),
      undefined,
    );
    const header = r.headers['x-zerto-session'];
    const token = Array.isArray(header) ? header[0] : header;
    if (r.status >= 300 || !token) {
      throw authError(
        `Zerto session login for ${this.user}`,
        r,
        'Check the zerto userEnv/passwordEnv variables (vCenter credentials).',
      );
    }
    return token;
  }
}

/** ZVM appliance: Keycloak realm "zerto", client_credentials or password grant, always scope=openid. */
export class KeycloakAuth implements Authenticator {
  private current: Token | null = null;
  private readonly renewal = new SingleFlight<Token>();

  constructor(
    private readonly baseUrl: string,
    private readonly transport: Transport,
    private readonly grant: { clientId: string; clientSecret: string } | { user: string; password: string },
    private readonly now: () => number,
  ) {}

  async headers(): Promise<Record<string, string>> {
    let t = this.current;
    if (t === null || this.now() >= t.renewAt) {
      const previous = t;
      t = await this.renewal.run(() => this.renew(previous));
      this.current = t;
    }
    return { authorization: `Bearer ${t.access}` };
  }

  invalidate(used: Record<string, string>): void {
    if (this.current !== null && used.authorization === `Bearer ${this.current.access}`) this.current = null;
  }

  async close(): Promise<void> {
    this.current = null;
  }

  private async renew(previous: Token | null): Promise<Token> {
    const refresh = previous?.refresh;
    if (!refresh || previous === null || this.now() >= previous.refreshUntil) {
      return this.fetchToken(this.credentials());
    }
    try {
      return await this.fetchToken({ grant_type: 'refresh_token', refresh_token: refresh, ...this.client() });
    } catch (err) {
      // A refresh token revoked or expired on the server side: start over with the credentials.
      if (err instanceof ZertoError && err.code === 'ZERTO_AUTH') return this.fetchToken(this.credentials());
      throw err;
    }
  }

  private client(): Record<string, string> {
    return 'clientId' in this.grant
      ? { client_id: this.grant.clientId, client_secret: this.grant.clientSecret }
      : { client_id: KEYCLOAK_CLIENT };
  }

  private credentials(): Record<string, string> {
    if ('clientId' in this.grant) return { grant_type: 'client_credentials', ...this.client() };
    return {
      grant_type: 'password',
      ...this.client(),
      username: this.grant.user,
      password: this.grant.password,
    };
  }

  private async fetchToken(form: Record<string, string>): Promise<Token> {
    const r = await this.transport.send(
      'POST',
      `${this.baseUrl}/auth/realms/zerto/protocol/openid-connect/token`,
      { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      new URLSearchParams({ ...form, scope: 'openid' }).toString(),
      undefined,
    );
    if (r.status >= 300) {
      throw authError(
        `Keycloak ${form.grant_type} grant`,
        r,
        'Check zerto clientIdEnv/clientSecretEnv (a confidential client with service accounts) or userEnv/passwordEnv.',
      );
    }
    const t: TokenResponse = parse(tokenSchema, jsonOf(r.text), 'the Keycloak token request');
    const issued = this.now();
    return {
      access: t.access_token,
      renewAt: issued + refreshAfterMs(t.expires_in),
      refresh: t.refresh_token ?? null,
      refreshUntil: issued + (t.refresh_expires_in ?? 0) * 1_000 - 5_000,
    };
  }
}

/**
 * When to renew a token that lives `expiresInSec`: 30 s before expiry (what public exporters do),
 * or half-way through for tokens shorter than a minute.
 */
export function refreshAfterMs(expiresInSec: number): number {
  const lifetime = expiresInSec * 1_000;
  return lifetime - Math.min(30_000, lifetime / 2);
}

/** The authenticator the array's `auth` setting and the credentials given call for. */
export function createAuthenticator(
  o: ZertoAdapterOptions,
  baseUrl: string,
  transport: Transport,
): Authenticator {
  const now = o.now ?? Date.now;
  const { user, password, clientId, clientSecret } = o.credentials;
  if (o.config.auth === 'session') {
    if (!user || !password) {
      throw new ZertoError(
        'ZERTO_AUTH',
        `zerto array ${o.config.name}: session auth needs a user and a password`,
        {
          hint: 'Set userEnv and passwordEnv on the zerto array and the variables they name.',
        },
      );
    }
    return new SessionAuth(baseUrl, transport, user, password, now);
  }
  if (clientId && clientSecret) return new KeycloakAuth(baseUrl, transport, { clientId, clientSecret }, now);
  if (user && password) return new KeycloakAuth(baseUrl, transport, { user, password }, now);
  throw new ZertoError(
    'ZERTO_AUTH',
    `zerto array ${o.config.name}: Keycloak auth needs a client id and secret, or a user`,
    {
      hint: 'Set clientIdEnv/clientSecretEnv (preferred) or userEnv/passwordEnv on the zerto array.',
    },
  );
}
