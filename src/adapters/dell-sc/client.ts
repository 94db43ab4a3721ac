import { Agent, request } from 'undici';
import type { z } from 'zod';
import { DsmError, transportError } from './errors.js';
import { type Deadline, pause } from './poll.js';
import { apiConnectionSchema, asyncTaskSchema, errorBodySchema } from './schema.js';

// One DSM REST session: Basic-auth login with API-version negotiation (Cinder's rule: when the
// Data Collector names its range, log in again with the range's minimum), a cookie jar kept
// whatever the cookie is called, one transparent re-login when the session has expired, and
// async calls (header `async: True`) followed to their result.

export interface DsmClientOptions {
  baseUrl: string;
  user: string;
  password: string;
  apiVersion: string;
  ca: string | undefined;
  pollIntervalMs: number;
  requestTimeoutMs: number;
}

export interface CallOptions {
  signal?: AbortSignal | undefined;
  /** Send with `async: True` and follow the AsyncTask; needs a deadline for the polling. */
  async?: Deadline;
}

interface RawResponse {
  status: number;
  text: string;
}

const VERSION_PREFIX = 'Invalid API version specified, the version must be in the range [';

export function normaliseBaseUrl(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return trimmed.endsWith('/api/rest') ? trimmed : `${trimmed}/api/rest`;
}

/** "2.0" from "…the version must be in the range [2.0, 4.1]." */
export function minimumVersion(result: string): string | null {
  if (!result.startsWith(VERSION_PREFIX)) return null;
  const m = /\[\s*(\d+\.\d+)\s*,/.exec(result);
  return m ? (m[1] as string) : null;
}

/** Before 2.2 list filters are sent bare; from 2.2 on, wrapped in {"filter": …}. */
export function filterPayload(
  apiVersion: string,
  filters: Array<{ attributeName: string; attributeValue: string | number | boolean }>,
): Record<string, unknown> {
  const inner = { filterType: 'AND', filters: filters.map((f) => ({ ...f, filterType: 'Equals' })) };
  const [major = 0, minor = 0] = apiVersion.split('.').map(Number);
  return major < 2 || (major === 2 && minor < 2) ? inner : { filter: inner };
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new DsmError(
      'DSM_BAD_RESPONSE',
      `unexpected DSM answer to ${what}: ${issue?.path.join('.')} ${issue?.message}`,
      {
        hint: 'The Data Collector answered in a shape Bascule does not know; check its version against apiVersion.',
      },
    );
  }
  return r.data;
}

function jsonOf(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function resultText(text: string): string {
  const r = errorBodySchema.safeParse(jsonOf(text));
  return r.success ? r.data.result : text.slice(0, 300);
}

export class DsmClient {
  private readonly agent: Agent;
  private readonly cookies = new Map<string, string>();
  private version: string;
  private session: Promise<void> | null = null;

  constructor(private readonly o: DsmClientOptions) {
    this.version = o.apiVersion;
    this.agent = new Agent({
      connect: o.ca === undefined ? {} : { ca: o.ca },
      headersTimeout: o.requestTimeoutMs,
      bodyTimeout: o.requestTimeoutMs,
    });
  }

  /** Logs in if needed and returns the version the session runs at, after negotiation. */
  async apiVersion(): Promise<string> {
    await this.ensureSession();
    return this.version;
  }

  async get<S extends z.ZodType>(path: string, schema: S, options: CallOptions = {}): Promise<z.infer<S>> {
    return parse(schema, await this.call('GET', path, undefined, options), `GET ${path}`);
  }

  async post<S extends z.ZodType>(
    path: string,
    body: unknown,
    schema: S,
    options: CallOptions = {},
  ): Promise<z.infer<S>> {
    return parse(schema, await this.call('POST', path, body, options), `POST ${path}`);
  }

  async close(): Promise<void> {
    try {
      if (this.session) {
        const r = await this.send('POST', 'ApiConnection/Logout', {}, undefined, false);
        // 401 means the session had already expired: logged out all the same.
        if (r.status >= 300 && r.status !== 401) throw this.httpError('POST ApiConnection/Logout', r);
      }
    } finally {
      this.session = null;
      this.cookies.clear();
      await this.agent.close();
    }
  }

  private async call(method: string, path: string, body: unknown, options: CallOptions): Promise<unknown> {
    const used = this.ensureSession();
    await used;
    let r = await this.send(method, path, body, options.signal, options.async !== undefined);
    if (r.status === 401) {
      // Sessions expire on the Data Collector's side; log in once more, then give up.
      this.expire(used);
      await this.ensureSession();
      r = await this.send(method, path, body, options.signal, options.async !== undefined);
      if (r.status === 401) {
        throw new DsmError('DSM_AUTH', `DSM refused ${method} ${path} right after a fresh login`, {
          hint: 'The DSM user may lack rights on this Storage Center; check its role in Data Collector user management.',
        });
      }
    }
    if (r.status === 202 && options.async) {
      return this.followTask(r, `${method} ${path}`, options.async, options.signal);
    }
    if (r.status < 200 || r.status >= 300) throw this.httpError(`${method} ${path}`, r);
    return jsonOf(r.text);
  }

  private async followTask(
    first: RawResponse,
    what: string,
    until: Deadline,
    signal?: AbortSignal,
  ): Promise<unknown> {
    const task = parse(asyncTaskSchema, jsonOf(first.text), what);
    let path = this.taskPath(task.returnValue, task.instanceId);
    for (;;) {
      await pause(this.o.pollIntervalMs, until, signal);
      const used = this.ensureSession();
      await used;
      const r = await this.send('GET', path, undefined, signal, false);
      if (r.status === 401) {
        this.expire(used);
        continue;
      }
      if (r.status < 200 || r.status >= 300) {
        throw new DsmError(
          'DSM_TASK_FAILED',
          `DSM task ${task.methodName ?? what} failed: ${resultText(r.text)}`,
          {
            details: { status: r.status },
            hint: 'Look at the object in DSM, fix what the message names, then run the unit again.',
          },
        );
      }
      const body = jsonOf(r.text);
      const again = asyncTaskSchema.safeParse(body);
      if (!again.success) return body;
      path = this.taskPath(again.data.returnValue, again.data.instanceId ?? task.instanceId);
    }
  }

  /** returnValue is a full URL whose host may be wrong (Cinder's known bug): keep only the path. */
  private taskPath(returnValue: string | undefined, instanceId: string | undefined): string {
    const marker = 'api/rest/';
    if (returnValue) {
      const at = returnValue.indexOf(marker);
      const rest = at >= 0 ? returnValue.slice(at + marker.length) : returnValue.replace(/^\/+/, '');
      if (rest && !rest.endsWith('/')) return rest;
    }
    if (!instanceId) {
      throw new DsmError('DSM_BAD_RESPONSE', 'DSM returned an AsyncTask without returnValue or instanceId', {
        hint: 'Check the Data Collector version against apiVersion.',
      });
    }
    return `ApiConnection/AsyncTask/${instanceId}`;
  }

  /** Drops the session a request was refused with, unless another call has already replaced it. */
  private expire(used: Promise<void>): void {
    if (this.session !== used) return;
    this.session = null;
    this.cookies.clear();
  }

  /** One login shared by concurrent calls; not tied to one caller's signal, so its abort cannot fail the others. */
  private ensureSession(): Promise<void> {
    if (!this.session) {
      const attempt = this.login();
      this.session = attempt;
      // A failed login must not be cached: the next call tries again.
      attempt.catch(() => {
        if (this.session === attempt) this.session = null;
      });
    }
    return this.session;
  }

  private async login(): Promise<void> {
    const body = { Application: 'Bascule', ApplicationVersion: '0.1.0' };
    let r = await this.send('POST', 'ApiConnection/Login', body, undefined, false, true);
    if (r.status >= 300) {
      const min = minimumVersion(resultText(r.text));
      if (min !== null && min !== this.version) {
        this.version = min;
        r = await this.send('POST', 'ApiConnection/Login', body, undefined, false, true);
      }
    }
    if (r.status === 401 || r.status === 403) {
      throw new DsmError('DSM_AUTH', `DSM login refused for user ${this.o.user}: ${resultText(r.text)}`, {
        hint: 'Check the dell-dsm userEnv/passwordEnv variables and that the account is a Data Collector user.',
      });
    }
    if (r.status >= 300) {
      const text = resultText(r.text);
      throw new DsmError(
        minimumVersion(text) !== null ? 'DSM_VERSION' : 'DSM_REQUEST',
        `DSM login failed: ${text}`,
        {
          hint: 'Set apiVersion on the dell-dsm array to a version inside the range the Data Collector names.',
        },
      );
    }
    const conn = parse(apiConnectionSchema, jsonOf(r.text), 'POST ApiConnection/Login');
    if (conn.apiVersion) this.version = conn.apiVersion;
  }

  private async send(
    method: string,
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
    isAsync: boolean,
    basic = false,
  ): Promise<RawResponse> {
    const url = `${this.o.baseUrl}/${path}`;
    const headers: Record<string, string> = {
      accept: 'application/json',
      'x-dell-api-version': this.version,
    };
    if (body !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
    if (isAsync) headers.async = 'True';
    if (basic) {
      headers.authorization = `Basic ${Buffer.from(`${this.o.user}:${this.o.password}`).toString('base64')}`;
    }
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    try {
      const res = await request(url, {
        method: method as 'GET' | 'POST',
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        dispatcher: this.agent,
        signal: signal ?? null,
      });
      const text = await res.body.text();
      const raw = res.headers['set-cookie'];
      const setCookies = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
      for (const c of setCookies) {
        const pair = c.split(';')[0] ?? '';
        const eq = pair.indexOf('=');
        if (eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
      }
      return { status: res.statusCode, text };
    } catch (err) {
      throw transportError(err, url, signal);
    }
  }

  private httpError(what: string, r: RawResponse): DsmError {
    const text = resultText(r.text);
    if (r.status === 404) {
      return new DsmError('DSM_NOT_FOUND', `DSM has no such object (${what}): ${text}`, {
        hint: 'The object may have been deleted or renamed in DSM; check sites.yaml against DSM.',
      });
    }
    if (r.status >= 500) {
      return new DsmError('DSM_SERVER', `DSM failed on ${what} (HTTP ${r.status}): ${text}`, {
        retryable: true,
        hint: 'The Data Collector had an internal error; the job will try again. If it persists, check its logs.',
      });
    }
    return new DsmError('DSM_REQUEST', `DSM refused ${what} (HTTP ${r.status}): ${text}`, {
      details: { status: r.status },
      hint: 'Read the message from DSM above; fix the cause in DSM, then run the unit again.',
    });
  }
}
