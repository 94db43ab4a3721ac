import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApiAnswer, type ApiMethod, fail } from './api-context.js';
import { decodeJsonFields } from './args.js';
import { chatMethods } from './chat-methods.js';
import { controlRoute, type SlackControl } from './control.js';
import { directoryMethods } from './directory-methods.js';
import type { Faults } from './faults.js';
import { handleResponsePost } from './response-url.js';
import type { SlackStore } from './store.js';
import type { SlackCall, SlackResponsePost } from './types.js';
import { viewMethods } from './view-methods.js';

// HTTP front of the stand-in: /api/<method> is the Web API (form or JSON bodies, bearer token),
// /commands/… and /actions/… are response_urls, /lab/… is test control.

const methods: Record<string, ApiMethod> = { ...chatMethods, ...directoryMethods, ...viewMethods };
const maxBody = 1024 * 1024;

export interface HandlerDeps {
  store: SlackStore;
  faults: Faults;
  calls: SlackCall[];
  responses: SlackResponsePost[];
  control: SlackControl;
  botToken: string;
  baseUrl: () => string;
}

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > maxBody) throw new BodyTooLarge('body too large');
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

type Parsed = { args: Record<string, unknown>; json: boolean } | { error: string };

function parseApiBody(contentType: string, text: string, query: URLSearchParams): Parsed {
  const args: Record<string, unknown> = Object.fromEntries(query);
  if (contentType.startsWith('application/json')) {
    try {
      const v: unknown = text === '' ? {} : JSON.parse(text);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return { error: 'invalid_json' };
      return { args: { ...args, ...(v as Record<string, unknown>) }, json: true };
    } catch {
      return { error: 'invalid_json' };
    }
  }
  if (contentType.startsWith('multipart/')) return { error: 'invalid_form_data' };
  return { args: { ...args, ...Object.fromEntries(new URLSearchParams(text)) }, json: false };
}

function authenticate(
  req: IncomingMessage,
  args: Record<string, unknown>,
  json: boolean,
  botToken: string,
): string | undefined {
  const header = req.headers.authorization;
  // A JSON body cannot carry the token: Slack reads it from the Authorization header only.
  const fromBody = !json && typeof args.token === 'string' ? args.token : undefined;
  const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : fromBody;
  if (token === undefined || token === '') return header === undefined ? 'not_authed' : 'invalid_auth';
  return token === botToken ? undefined : 'invalid_auth';
}

async function handleApi(
  d: HandlerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  url: URL,
) {
  const contentType = req.headers['content-type'] ?? '';
  const parsed = parseApiBody(contentType, await readBody(req), url.searchParams);
  const args = 'args' in parsed ? parsed.args : {};
  const call: SlackCall = { method, body: {}, at: Date.now(), contentType, status: 200, ok: false };
  d.calls.push(call);
  const answer = (status: number, body: ApiAnswer, headers: Record<string, string> = {}) => {
    call.status = status;
    call.ok = body.ok === true;
    if (typeof body.error === 'string') call.error = body.error;
    send(res, status, body, headers);
  };
  const fault = d.faults.take(method, call.at);
  const authError = 'args' in parsed ? authenticate(req, args, parsed.json, d.botToken) : undefined;
  delete args.token;
  const decodeError = decodeJsonFields(args);
  call.body = args;
  if (fault) return answer(fault.status, fault.body as ApiAnswer, fault.headers);
  if ('error' in parsed) return answer(200, fail(parsed.error));
  if (authError) return answer(200, fail(authError));
  if (decodeError) return answer(200, fail(decodeError));
  const impl = methods[method];
  if (!impl) return answer(200, fail('unknown_method'));
  return answer(200, impl(args, d.store));
}

async function handle(d: HandlerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const path = url.pathname;
  const api = /^\/api\/([A-Za-z0-9_.]+)$/.exec(path);
  if (api?.[1] && (req.method === 'POST' || req.method === 'GET')) return handleApi(d, req, res, api[1], url);
  if (req.method === 'POST' && /^\/(commands|actions)\//.test(path)) {
    let raw: unknown;
    try {
      raw = JSON.parse(await readBody(req));
    } catch {
      raw = undefined;
    }
    const out = handleResponsePost(d.store, path, `${d.baseUrl()}${path}`, raw);
    if (out.record) d.responses.push(out.record);
    return send(res, out.status, out.body);
  }
  if (path.startsWith('/lab/')) {
    const text = req.method === 'GET' ? '' : await readBody(req);
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      return send(res, 400, { ok: false, error: 'invalid_json' });
    }
    const out = await controlRoute(d.control, req.method ?? 'GET', path, body);
    if (out) return send(res, out.status, out.body);
  }
  send(res, 404, { ok: false, error: 'not_found' });
}

export function requestHandler(d: HandlerDeps) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    handle(d, req, res).catch((err: unknown) => {
      if (res.headersSent) return res.destroy();
      if (err instanceof BodyTooLarge) return send(res, 413, { ok: false, error: 'request_too_large' });
      send(res, 500, {
        ok: false,
        error: 'internal_error',
        detail: err instanceof Error ? err.message : String(err),
      });
    });
  };
}
