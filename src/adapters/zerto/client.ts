import { Agent, request } from 'undici';
import type { z } from 'zod';
import type { Authenticator } from './auth.js';
import { transportError, ZertoError } from './errors.js';
import { errorBodySchema } from './schema.js';

// The ZVM REST transport: JSON over HTTPS with a per-client CA, the auth header from whichever
// authenticator the array uses, one transparent re-authentication on 401, answers parsed with zod.

export interface RawResponse {
  status: number;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface Transport {
  send(
    method: string,
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<RawResponse>;
  close(): Promise<void>;
}

export function createTransport(ca: string | undefined, requestTimeoutMs: number): Transport {
  const agent = new Agent({
    connect: ca === undefined ? {} : { ca },
    headersTimeout: requestTimeoutMs,
    bodyTimeout: requestTimeoutMs,
  });
  return {
    async send(method, url, headers, body, signal) {
      try {
        const res = await request(url, {
          method: method as 'GET' | 'POST' | 'DELETE',
          headers,
          body: body ?? null,
          dispatcher: agent,
          signal: signal ?? null,
        });
        return { status: res.statusCode, text: await res.body.text(), headers: res.headers };
      } catch (err) {
        throw transportError(err, url, signal);
      }
    },
    close: () => agent.close(),
  };
}

export function jsonOf(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ZertoError(
      'ZERTO_BAD_RESPONSE',
      `unexpected Zerto answer to ${what}: ${issue?.path.join('.')} ${issue?.message}`,
      {
        hint: 'The ZVM answered in a shape Bascule does not know; check the ZVM version.',
      },
    );
  }
  return r.data;
}

function messageOf(text: string): string {
  const r = errorBodySchema.safeParse(jsonOf(text));
  return r.success ? r.data.Message : text.slice(0, 300);
}

export class ZertoClient {
  constructor(
    private readonly baseUrl: string,
    private readonly transport: Transport,
    private readonly auth: Authenticator,
  ) {}

  async get<S extends z.ZodType>(path: string, schema: S, signal?: AbortSignal): Promise<z.infer<S>> {
    return parse(schema, await this.call('GET', path, undefined, signal), `GET ${path}`);
  }

  async post<S extends z.ZodType>(
    path: string,
    body: unknown,
    schema: S,
    signal?: AbortSignal,
  ): Promise<z.infer<S>> {
    return parse(schema, await this.call('POST', path, body, signal), `POST ${path}`);
  }

  async close(): Promise<void> {
    try {
      await this.auth.close();
    } finally {
      await this.transport.close();
    }
  }

  private async call(
    method: string,
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const url = `${this.baseUrl}${path}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const attempt = async () => {
      const auth = await this.auth.headers();
      const headers: Record<string, string> = { accept: 'application/json', ...auth };
      if (payload !== undefined) headers['content-type'] = 'application/json';
      return { auth, r: await this.transport.send(method, url, headers, payload, signal) };
    };
    const first = await attempt();
    let r = first.r;
    if (r.status === 401) {
      // Tokens expire (30 min idle for sessions, minutes for Keycloak): authenticate once more.
      this.auth.invalidate(first.auth);
      r = (await attempt()).r;
      if (r.status === 401) {
        throw new ZertoError('ZERTO_AUTH', `Zerto refused ${method} ${path} right after a fresh login`, {
          hint: 'The account may lack rights on this ZVM; check its role in Zerto (or the Keycloak client roles).',
        });
      }
    }
    if (r.status >= 200 && r.status < 300) return jsonOf(r.text);
    const text = messageOf(r.text);
    if (r.status === 404) {
      throw new ZertoError('ZERTO_NOT_FOUND', `Zerto has no such object (${method} ${path}): ${text}`, {
        hint: 'The VPG may have been deleted or re-created; check it in the Zerto UI.',
      });
    }
    if (r.status >= 500) {
      throw new ZertoError('ZERTO_SERVER', `Zerto failed on ${method} ${path} (HTTP ${r.status}): ${text}`, {
        retryable: true,
        hint: 'The ZVM had an internal error; the job will try again. If it persists, check the ZVM logs.',
      });
    }
    throw new ZertoError('ZERTO_REQUEST', `Zerto refused ${method} ${path} (HTTP ${r.status}): ${text}`, {
      details: { status: r.status },
      hint: 'Read the message from Zerto above; fix the cause in the Zerto UI, then run the unit again.',
    });
  }
}
