import { z } from 'zod';
import type { Faults } from './faults.js';
import type { SlackStore } from './store.js';
import type {
  Issued,
  IssueRequest,
  SlackCall,
  SlackFaultSpec,
  SlackMessage,
  SlackResponsePost,
  SlackSimState,
} from './types.js';

// Test-side control of the stand-in. The same operations are offered in-process (`sim.control`)
// and over HTTP under /lab/ (for a lab running in its own process, see client.ts), so a test reads
// the same whichever way the lab was started.

export interface SlackControl {
  state(): Promise<SlackSimState>;
  /** Answer 429 (with Retry-After) or 500 to the next `calls` calls, or for `forMs`. */
  fault(spec: SlackFaultSpec): Promise<void>;
  clearFaults(): Promise<void>;
  /** Forget messages, calls, views, faults, triggers and response_urls. */
  reset(): Promise<void>;
  /** A trigger id and response_url for a request the driver is about to send. */
  issue(req: IssueRequest): Promise<Issued>;
  /** A message typed by a person (not the bot), e.g. to start a thread. */
  postAsUser(m: { channel: string; user: string; text: string; thread_ts?: string }): Promise<SlackMessage>;
}

export const faultSchema = z
  .strictObject({
    kind: z.enum(['rate-limit', 'server-error']),
    method: z.string().min(1).optional(),
    calls: z.number().int().min(1).optional(),
    forMs: z.number().int().min(1).optional(),
    retryAfterSec: z.number().int().min(0).max(3600).optional(),
  })
  .refine((f) => f.calls !== undefined || f.forMs !== undefined, 'set calls or forMs');

export const issueSchema = z
  .strictObject({
    kind: z.enum(['command', 'action', 'view']),
    channel: z.string().min(1).optional(),
    user: z.string().min(1),
    messageTs: z.string().optional(),
  })
  .refine(
    (r) => r.kind === 'view' || r.channel !== undefined,
    'channel is required for commands and actions',
  );

export const userMessageSchema = z.strictObject({
  channel: z.string().min(1),
  user: z.string().min(1),
  text: z.string().min(1),
  thread_ts: z.string().optional(),
});

export interface ControlDeps {
  store: SlackStore;
  faults: Faults;
  calls: SlackCall[];
  responses: SlackResponsePost[];
  baseUrl: () => string;
}

/** The in-process implementation; the HTTP routes call the same functions. */
export function localControl(d: ControlDeps): SlackControl {
  return {
    async state() {
      return {
        calls: [...d.calls],
        responses: [...d.responses],
        messages: [...d.store.messages],
        ephemerals: [...d.store.ephemerals],
        views: [...d.store.views],
      };
    },
    async fault(spec) {
      d.faults.add(faultSchema.parse(spec));
    },
    async clearFaults() {
      d.faults.clear();
    },
    async reset() {
      d.faults.clear();
      d.store.clear();
      d.calls.length = 0;
      d.responses.length = 0;
    },
    async issue(req) {
      return d.store.issue(issueSchema.parse(req), d.baseUrl());
    },
    async postAsUser(m) {
      const a = userMessageSchema.parse(m);
      const channel = d.store.channel(a.channel);
      if (!channel) throw new Error(`no channel ${a.channel} in the lab workspace`);
      if (!d.store.user(a.user)) throw new Error(`no user ${a.user} in the lab workspace`);
      return d.store.post({
        channel: channel.id,
        user: a.user,
        text: a.text,
        ...(a.thread_ts ? { thread_ts: a.thread_ts } : {}),
      });
    },
  };
}

export interface ControlAnswer {
  status: number;
  body: unknown;
}

/** HTTP routes under /lab/; undefined when the path is not a control route. */
export async function controlRoute(
  control: SlackControl,
  method: string,
  path: string,
  body: unknown,
): Promise<ControlAnswer | undefined> {
  const route = `${method} ${path}`;
  const bad = (error: z.ZodError): ControlAnswer => ({
    status: 400,
    body: { ok: false, error: z.prettifyError(error) },
  });
  switch (route) {
    case 'GET /lab/health':
      return { status: 200, body: { ok: true } };
    case 'GET /lab/state':
      return { status: 200, body: await control.state() };
    case 'POST /lab/faults': {
      const p = faultSchema.safeParse(body);
      if (!p.success) return bad(p.error);
      await control.fault(p.data);
      return { status: 200, body: { ok: true } };
    }
    case 'DELETE /lab/faults':
      await control.clearFaults();
      return { status: 200, body: { ok: true } };
    case 'POST /lab/reset':
      await control.reset();
      return { status: 200, body: { ok: true } };
    case 'POST /lab/issue': {
      const p = issueSchema.safeParse(body);
      if (!p.success) return bad(p.error);
      return { status: 200, body: await control.issue(p.data) };
    }
    case 'POST /lab/messages': {
      const p = userMessageSchema.safeParse(body);
      if (!p.success) return bad(p.error);
      try {
        return { status: 200, body: await control.postAsUser(p.data) };
      } catch (err) {
        return { status: 404, body: { ok: false, error: err instanceof Error ? err.message : String(err) } };
      }
    }
    default:
      return undefined;
  }
}
