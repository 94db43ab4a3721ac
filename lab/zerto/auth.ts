import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { basicAuth, type Reply } from '../shared/http.js';

// Both ways into a ZVM: the classic v1 session (Basic auth on /v1/session/add, token back in the
// x-zerto-session header, dropped after 30 minutes idle) and the ZVM appliance's Keycloak realm
// "zerto" (password grant with the public client zerto-client, client_credentials with a
// confidential client, refresh_token). Access tokens are opaque here: clients must not parse them.

export interface AuthOptions {
  user: string;
  password: string;
  clientId: string;
  clientSecret: string;
  tokenLifetimeSec: number;
  sessionIdleMs: number;
}

const PUBLIC_CLIENT = 'zerto-client';
const REFRESH_LIFETIME_MS = 30 * 60_000;

function token(): string {
  return randomBytes(24).toString('base64url');
}

function oauthError(status: number, error: string, description: string): Reply {
  return { status, body: { error, error_description: description } };
}

export class ZertoAuth {
  private readonly sessions = new Map<string, number>();
  private readonly access = new Map<string, number>();
  private readonly refresh = new Map<string, { expiresAt: number; clientId: string }>();

  constructor(private readonly o: AuthOptions) {}

  /** POST /v1/session/add */
  addSession(req: IncomingMessage, body: unknown): Reply {
    const creds = basicAuth(req.headers.authorization);
    if (!creds || creds.user !== this.o.user || creds.password !== this.o.password) {
      return { status: 401, body: { Message: 'Authorization has been denied for this request.' } };
    }
    const method = (body as { AuthenticationMethod?: unknown } | undefined)?.AuthenticationMethod;
    if (method !== undefined && !['0', '1', 0, 1].includes(method as string | number)) {
      return { status: 400, body: { Message: `Unknown AuthenticationMethod ${String(method)}.` } };
    }
    const t = token();
    this.sessions.set(t, Date.now());
    return { status: 200, headers: { 'x-zerto-session': t } };
  }

  deleteSession(req: IncomingMessage): void {
    const t = req.headers['x-zerto-session'];
    if (typeof t === 'string') this.sessions.delete(t);
  }

  /** POST /auth/realms/zerto/protocol/openid-connect/token */
  token(req: IncomingMessage, form: URLSearchParams): Reply {
    const type = String(req.headers['content-type'] ?? '');
    if (!type.startsWith('application/x-www-form-urlencoded')) {
      return oauthError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
    }
    const basic = basicAuth(req.headers.authorization);
    const clientId = form.get('client_id') ?? basic?.user ?? '';
    const clientSecret = form.get('client_secret') ?? basic?.password ?? '';
    const scope = (form.get('scope') ?? '').split(' ').includes('openid')
      ? 'openid profile email'
      : 'profile email';
    const grant = form.get('grant_type');
    if (grant === 'password') {
      if (
        clientId !== PUBLIC_CLIENT &&
        !(clientId === this.o.clientId && clientSecret === this.o.clientSecret)
      ) {
        return oauthError(401, 'invalid_client', 'Invalid client or Invalid client credentials');
      }
      if (form.get('username') !== this.o.user || form.get('password') !== this.o.password) {
        return oauthError(401, 'invalid_grant', 'Invalid user credentials');
      }
      return this.issue(clientId, scope, true);
    }
    if (grant === 'client_credentials') {
      if (clientId === PUBLIC_CLIENT) {
        return oauthError(
          400,
          'unauthorized_client',
          'Public client not allowed to retrieve service account',
        );
      }
      if (clientId !== this.o.clientId || clientSecret !== this.o.clientSecret) {
        return oauthError(401, 'invalid_client', 'Invalid client or Invalid client credentials');
      }
      // Keycloak issues no refresh token for client_credentials by default.
      return this.issue(clientId, scope, false);
    }
    if (grant === 'refresh_token') {
      const r = this.refresh.get(form.get('refresh_token') ?? '');
      if (!r || r.expiresAt < Date.now() || r.clientId !== clientId) {
        return oauthError(400, 'invalid_grant', 'Invalid refresh token');
      }
      this.refresh.delete(form.get('refresh_token') ?? '');
      return this.issue(clientId, scope, true);
    }
    return oauthError(400, 'unsupported_grant_type', `Unsupported grant_type ${grant ?? '(none)'}`);
  }

  private issue(clientId: string, scope: string, withRefresh: boolean): Reply {
    const accessToken = token();
    this.access.set(accessToken, Date.now() + this.o.tokenLifetimeSec * 1_000);
    const body: Record<string, unknown> = {
      access_token: accessToken,
      expires_in: this.o.tokenLifetimeSec,
      token_type: 'Bearer',
      'not-before-policy': 0,
      session_state: token(),
      scope,
    };
    if (withRefresh) {
      const refreshToken = token();
      this.refresh.set(refreshToken, { expiresAt: Date.now() + REFRESH_LIFETIME_MS, clientId });
      body.refresh_token = refreshToken;
      body.refresh_expires_in = REFRESH_LIFETIME_MS / 1_000;
    }
    return { status: 200, body };
  }

  /** How an API request authenticated, or null when it did not. */
  check(req: IncomingMessage): 'session' | 'bearer' | null {
    const session = req.headers['x-zerto-session'];
    if (typeof session === 'string') {
      const last = this.sessions.get(session);
      if (last !== undefined && Date.now() - last <= this.o.sessionIdleMs) {
        this.sessions.set(session, Date.now());
        return 'session';
      }
      this.sessions.delete(session);
      return null;
    }
    const auth = req.headers.authorization ?? '';
    if (auth.startsWith('Bearer ')) {
      const expiresAt = this.access.get(auth.slice(7));
      if (expiresAt !== undefined && expiresAt > Date.now()) return 'bearer';
    }
    return null;
  }

  expireAll(): void {
    this.sessions.clear();
    this.access.clear();
    this.refresh.clear();
  }
}
