import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type ParsedUrlQuery, parse as parseQuery } from 'node:querystring';
import {
  type App,
  type CodedError,
  ErrorCode,
  type Receiver,
  type ReceiverEvent,
  ReceiverMultipleAckError,
  type Logger as SlackLogger,
} from '@slack/bolt';

// Bolt's HTTP receiver, reduced to what this bot uses and without its per-request overheads: it
// parsed a form body twice, compared signatures with tsscmp (two more HMACs and 32 random bytes
// per request) and built a URL object per request, on the event loop that must acknowledge every
// command within Slack's 3 s. The behaviour is Bolt's: POST /slack/events only, requests signed
// with the signing secret (`v0` HMAC-SHA256 of `v0:timestamp:body`, compared in constant time) and
// at most five minutes old (replays refused; a timestamp as far in the future is refused too),
// 401 otherwise and the app never sees them; `ssl_check` answered without a signature and without
// its body; `url_verification` answered with its challenge; ack() answers 200 at once (JSON for an
// object), twice is an error; a request not acknowledged within 3 s gets a 404; an authorisation
// failure a 401, another error before the ack a 500. Custom routes match exact paths.

const EVENTS_PATH = '/slack/events';
const MAX_AGE_SECONDS = 5 * 60;
const UNHANDLED_TIMEOUT_MS = 3001;
const FORM = 'application/x-www-form-urlencoded';

export interface ReceiverRoute {
  path: string;
  method: string[];
  handler(req: IncomingMessage, res: ServerResponse): void;
}

export interface SlackHttpReceiverOptions {
  signingSecret: string;
  logger: SlackLogger;
  customRoutes?: ReceiverRoute[];
  /** Larger bodies get a 413; Slack's largest (view submissions) are far below. */
  maxBodyBytes?: number;
  /** Clock in milliseconds, for the timestamp check. */
  now?: () => number;
}

class RequestRefused extends Error {}

export class SlackHttpReceiver implements Receiver {
  private app: App | undefined;
  private server: Server | undefined;
  private readonly routes = new Map<string, ReceiverRoute>();

  constructor(private readonly o: SlackHttpReceiverOptions) {
    for (const route of o.customRoutes ?? []) {
      for (const method of route.method) this.routes.set(`${method.toUpperCase()} ${route.path}`, route);
    }
  }

  init(app: App): void {
    this.app = app;
  }

  start(port: number): Promise<Server> {
    if (this.server) return Promise.reject(new Error('the Slack HTTP receiver is already started'));
    const server = createServer((req, res) => this.onRequest(req, res));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (err) => {
        this.server = undefined;
        reject(err);
      });
      server.listen(port, () => resolve(server));
    });
  }

  stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const method = (req.method ?? 'GET').toUpperCase();
    if (path === EVENTS_PATH && method === 'POST') {
      this.onEvent(req, res).catch((err: unknown) => {
        this.o.logger.error(`Slack request failed: ${err instanceof Error ? err.message : String(err)}`);
        if (!res.headersSent) res.writeHead(500).end();
      });
      return;
    }
    const route = this.routes.get(`${method} ${path}`);
    if (!route) {
      this.o.logger.info(`Unhandled HTTP request (${method}) made to ${path}`);
      res.writeHead(404).end();
      return;
    }
    try {
      route.handler(req, res);
    } catch (err) {
      this.o.logger.error(`An unexpected error occurred during a request (${method}) made to ${path}`);
      this.o.logger.debug(`Error details: ${String(err)}`);
      if (!res.headersSent) res.writeHead(500).end();
    }
  }

  private async onEvent(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text: string;
    try {
      text = await readBody(req, this.o.maxBodyBytes ?? 4 * 1024 * 1024);
    } catch (err) {
      this.o.logger.warn(
        `Failed to read the request body: ${err instanceof Error ? err.message : String(err)}`,
      );
      if (!res.headersSent) res.writeHead(err instanceof RequestRefused ? 413 : 400).end();
      return;
    }
    const form = req.headers['content-type'] === FORM ? parseQuery(text) : null;
    // Slack checks the certificate with `ssl_check=1`, unsigned: answered without looking further,
    // so nothing smuggled alongside it reaches the app.
    if (form?.ssl_check === '1') {
      res.writeHead(200).end();
      return;
    }
    try {
      this.verify(req, text);
    } catch (err) {
      this.o.logger.warn(`Failed to parse and verify the request data: ${(err as Error).message}`);
      res.writeHead(401).end();
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = parseBody(form, text);
    } catch (err) {
      this.o.logger.warn(`Malformed request body: ${err instanceof Error ? err.message : String(err)}`);
      res.writeHead(400).end();
      return;
    }
    if (body.type === 'url_verification') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ challenge: body.challenge }));
      return;
    }
    let acked = false;
    const timer = setTimeout(() => {
      if (acked) return;
      this.o.logger.error(
        'An incoming event was not acknowledged within 3 seconds. Ensure that the ack() argument is called in a listener.',
      );
      if (!res.headersSent) res.writeHead(404).end();
    }, UNHANDLED_TIMEOUT_MS);
    const ack: ReceiverEvent['ack'] = async (response) => {
      if (acked) throw new ReceiverMultipleAckError();
      acked = true;
      clearTimeout(timer);
      if (!response) res.writeHead(200).end();
      else if (typeof response === 'string') res.writeHead(200).end(response);
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(response));
    };
    const retryNum = header(req, 'x-slack-retry-num');
    const retryReason = header(req, 'x-slack-retry-reason');
    const event: ReceiverEvent = {
      body,
      ack,
      customProperties: {},
      ...(retryNum !== undefined ? { retryNum: Number.parseInt(retryNum, 10) } : {}),
      ...(retryReason !== undefined ? { retryReason } : {}),
    };
    try {
      if (!this.app) throw new Error('the Slack HTTP receiver was not initialised by the app');
      await this.app.processEvent(event);
    } catch (error) {
      if (res.headersSent) {
        this.o.logger.error('An unhandled error occurred after ack() called in a listener');
        this.o.logger.debug(`Error details: ${String(error)}`);
        return;
      }
      acked = true;
      clearTimeout(timer);
      if ((error as Partial<CodedError>).code === ErrorCode.AuthorizationError) {
        res.writeHead(401).end();
        return;
      }
      this.o.logger.error('An unhandled error occurred while Bolt processed an event');
      this.o.logger.debug(`Error details: ${String(error)}`);
      res.writeHead(500).end();
    }
  }

  /** Throws unless the request is signed with the signing secret, and recently. */
  private verify(req: IncomingMessage, body: string): void {
    const signature = header(req, 'x-slack-signature');
    const timestamp = header(req, 'x-slack-request-timestamp');
    if (signature === undefined || timestamp === undefined) {
      throw new Error('Failed to verify authenticity: signature headers missing');
    }
    const seconds = Number(timestamp);
    if (!Number.isInteger(seconds)) throw new Error('Failed to verify authenticity: bad timestamp');
    const nowSeconds = Math.floor((this.o.now ?? Date.now)() / 1000);
    if (Math.abs(nowSeconds - seconds) > MAX_AGE_SECONDS) {
      throw new Error('Failed to verify authenticity: request timestamp more than 5 minutes from now');
    }
    const [version, hash] = signature.split('=');
    if (version !== 'v0' || !hash)
      throw new Error('Failed to verify authenticity: unknown signature version');
    const expected = createHmac('sha256', this.o.signingSecret).update(`v0:${timestamp}:${body}`).digest();
    const given = Buffer.from(hash, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new Error('Failed to verify authenticity: signature mismatch');
    }
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.destroy();
        reject(new RequestRefused(`body larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () =>
      resolve(chunks.length === 1 ? (chunks[0] as Buffer).toString() : Buffer.concat(chunks).toString()),
    );
    req.on('error', reject);
  });
}

/** Slack's bodies: a form (slash commands), a form whose `payload` is JSON (interactions), or JSON. */
function parseBody(form: ParsedUrlQuery | null, text: string): Record<string, unknown> {
  if (form) {
    const payload = form.payload;
    return typeof payload === 'string' ? (JSON.parse(payload) as Record<string, unknown>) : { ...form };
  }
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('the body is not a JSON object');
  }
  return parsed as Record<string, unknown>;
}
