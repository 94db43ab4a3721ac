import { createHmac, randomBytes } from 'node:crypto';
import type { SlackControl } from './control.js';
import {
  actionEntry,
  blockActionsPayload,
  eventEnvelope,
  findElement,
  type Origin,
  slashCommandForm,
  viewStateValues,
  viewSubmissionPayload,
} from './payloads.js';
import type { SlackView, SlackWorkspaceSpec } from './types.js';
import { labWorkspace } from './workspace.js';

// Plays Slack towards a bot's HTTP receiver: signed slash commands, button clicks on messages the
// bot really posted (read back from the stand-in), modal submissions and events, plus the forged
// variants a security test needs. response_urls and trigger ids come from the stand-in, so what
// the bot does with them is recorded there.

/**
 * `valid`: signed now with the signing secret. `unsigned`: no signature headers. `wrong-secret`:
 * signed with another secret. `tampered`: the body changed after signing. `{ ageSeconds }`: a
 * correctly signed request captured that long ago and replayed now.
 */
export type Signing = 'valid' | 'unsigned' | 'wrong-secret' | 'tampered' | { ageSeconds: number };

export interface SentRequest {
  body: string;
  contentType: string;
  headers: Record<string, string>;
}

export interface DriverResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The body parsed as JSON, when it is JSON (e.g. a view_submission's response_action). */
  json: unknown;
  request: SentRequest;
}

export interface SlackDriverOptions {
  /** The bot's receiver, e.g. `http://127.0.0.1:3000/slack/events`. */
  botUrl: string;
  signingSecret: string;
  /** The stand-in the bot talks to: it issues trigger ids and response_urls and holds the messages. */
  sim: { control: SlackControl; workspace?: SlackWorkspaceSpec };
  /** Defaults to the stand-in's workspace, else the lab's. */
  workspace?: SlackWorkspaceSpec;
  verificationToken?: string;
}

export interface Retry {
  num: number;
  /** Slack's reasons: http_timeout, too_many_redirects, connection_failed, ssl_error, http_error, unknown_error. */
  reason: string;
}

interface Common {
  signing?: Signing;
}

export interface SlackDriver {
  slashCommand(
    a: Common & { command?: string; text: string; user: string; channel: string },
  ): Promise<DriverResponse & { responseUrl: string; triggerId: string }>;
  /** Clicks the element `actionId` of a message (or ephemeral) the bot posted; `selected` picks an option. */
  blockAction(
    a: Common & { user: string; channel: string; messageTs: string; actionId: string; selected?: string },
  ): Promise<DriverResponse & { responseUrl: string; triggerId: string }>;
  /** Submits the view the bot opened for `user` (the latest, or `viewId`), typing `values` by action_id. */
  viewSubmission(
    a: Common & { user: string; viewId?: string; values?: Record<string, string | string[]> },
  ): Promise<DriverResponse & { view: SlackView }>;
  event(
    a: Common & { event: Record<string, unknown>; eventId?: string; retry?: Retry },
  ): Promise<DriverResponse>;
  /** Slack's redelivery of a request: same body, fresh signature, X-Slack-Retry-Num/-Reason. */
  retry(sent: SentRequest, retry: Retry): Promise<DriverResponse>;
  send(body: string, contentType: string, o?: Common & { retry?: Retry }): Promise<DriverResponse>;
}

export function signature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

function signingHeaders(secret: string, body: string, signing: Signing): Record<string, string> {
  const now = Math.floor(Date.now() / 1000);
  if (signing === 'unsigned') return {};
  const ts = typeof signing === 'object' ? now - signing.ageSeconds : now;
  const key = signing === 'wrong-secret' ? `${secret}-not` : secret;
  const signed = signing === 'tampered' ? `${body}&tampered=1` : body;
  return { 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signature(key, ts, signed) };
}

export function createSlackDriver(o: SlackDriverOptions): SlackDriver {
  const origin: Origin = {
    workspace: o.workspace ?? o.sim.workspace ?? labWorkspace(['site5', 'lognes']),
    verificationToken: o.verificationToken ?? randomBytes(12).toString('hex'),
  };
  const control = o.sim.control;

  const send: SlackDriver['send'] = async (body, contentType, opts = {}) => {
    const headers: Record<string, string> = {
      'content-type': contentType,
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      ...signingHeaders(o.signingSecret, body, opts.signing ?? 'valid'),
      ...(opts.retry
        ? { 'x-slack-retry-num': String(opts.retry.num), 'x-slack-retry-reason': opts.retry.reason }
        : {}),
    };
    const res = await fetch(o.botUrl, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return {
      status: res.status,
      headers: Object.fromEntries(res.headers),
      text,
      json,
      request: { body, contentType, headers },
    };
  };
  const form = 'application/x-www-form-urlencoded';
  const interaction = (payload: unknown, signing?: Signing) =>
    send(
      new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
      form,
      signing ? { signing } : {},
    );

  return {
    send,
    async slashCommand(a) {
      const issued = await control.issue({ kind: 'command', channel: a.channel, user: a.user });
      const body = slashCommandForm(origin, { ...a, ...issued, command: a.command ?? '/migrate' }).toString();
      return { ...(await send(body, form, a.signing ? { signing: a.signing } : {})), ...issued };
    },
    async blockAction(a) {
      const state = await control.state();
      const message = state.messages.find((m) => m.channel === a.channel && m.ts === a.messageTs);
      const ephemeral = state.ephemerals.find((e) => e.channel === a.channel && e.message_ts === a.messageTs);
      const blocks = message?.blocks ?? ephemeral?.blocks;
      if (!blocks)
        throw new Error(`no message with blocks at ${a.channel}/${a.messageTs} in the Slack stand-in`);
      const found = findElement(blocks, a.actionId);
      if (!found) throw new Error(`message ${a.messageTs} has no element with action_id "${a.actionId}"`);
      const issued = await control.issue({
        kind: 'action',
        channel: a.channel,
        user: a.user,
        ...(message ? { messageTs: a.messageTs } : {}),
      });
      const payload = blockActionsPayload(origin, {
        user: a.user,
        channel: a.channel,
        source: message ? { message } : { ephemeral: ephemeral as NonNullable<typeof ephemeral> },
        action: actionEntry(found.blockId, found.element, a.selected),
        ...issued,
      });
      return { ...(await interaction(payload, a.signing)), ...issued };
    },
    async viewSubmission(a) {
      const views = (await control.state()).views.filter(
        (v) => v.user === a.user && (a.viewId === undefined || v.id === a.viewId),
      );
      const view = views.at(-1);
      if (!view)
        throw new Error(
          `no view opened for ${a.user}${a.viewId ? ` with id ${a.viewId}` : ''} in the Slack stand-in`,
        );
      const { triggerId } = await control.issue({ kind: 'view', user: a.user });
      const values = viewStateValues(view, a.values ?? {});
      return {
        ...(await interaction(
          viewSubmissionPayload(origin, { user: a.user, view, values, triggerId }),
          a.signing,
        )),
        view,
      };
    },
    event(a) {
      const body = JSON.stringify(eventEnvelope(origin, a.event, a.eventId));
      return send(body, 'application/json', {
        ...(a.signing ? { signing: a.signing } : {}),
        ...(a.retry ? { retry: a.retry } : {}),
      });
    },
    retry(sent, retry) {
      return send(sent.body, sent.contentType, { retry });
    },
  };
}
