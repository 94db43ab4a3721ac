// Shapes shared by the Slack stand-in, its remote control client and the signed-request driver.
// Field names follow Slack's wire format (snake_case) wherever the value is one Slack would send.

export interface SlackUserSpec {
  id: string;
  /** Slack handle (`name` in users.info), e.g. `alice`. */
  name: string;
  realName?: string;
  /** User-group ids (S…) the user belongs to. */
  groups?: string[];
  isBot?: boolean;
  isAdmin?: boolean;
  deleted?: boolean;
  tz?: string;
}

export interface SlackUserGroupSpec {
  id: string;
  handle: string;
  name: string;
}

export interface SlackChannelSpec {
  id: string;
  name: string;
  isPrivate?: boolean;
  isArchived?: boolean;
  /** False reproduces `not_in_channel`: the bot was never invited. Default true. */
  botIsMember?: boolean;
  /** Members for `user_not_in_channel` checks; absent means every user is a member. */
  members?: string[];
}

export interface SlackTeamSpec {
  id: string;
  domain: string;
  name: string;
}

export interface SlackWorkspaceSpec {
  team: SlackTeamSpec;
  bot: { userId: string; botId: string; appId: string; name: string };
  users: SlackUserSpec[];
  userGroups: SlackUserGroupSpec[];
  channels: SlackChannelSpec[];
}

/** One request to the Web API, as recorded for assertions (the token is never recorded). */
export interface SlackCall {
  method: string;
  /** Arguments as the bot sent them, JSON-valued form fields (blocks, view, …) decoded. */
  body: Record<string, unknown>;
  /** Epoch milliseconds when the request arrived. */
  at: number;
  contentType: string;
  /** HTTP status answered: 200, or 429/500 when a fault was injected. */
  status: number;
  ok: boolean;
  error?: string;
}

export interface SlackMessage {
  type: 'message';
  channel: string;
  ts: string;
  user: string;
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
  bot_id?: string;
  app_id?: string;
  subtype?: string;
  thread_ts?: string;
  reply_count?: number;
  reply_users?: string[];
  latest_reply?: string;
  edited?: { user: string; ts: string };
  metadata?: unknown;
}

export interface SlackEphemeral {
  channel: string;
  user: string;
  message_ts: string;
  text: string;
  blocks?: unknown[];
  thread_ts?: string;
  /** `api` for chat.postEphemeral, `response_url` for a response_url post. */
  via: 'api' | 'response_url';
}

export interface SlackView {
  id: string;
  team_id: string;
  type: string;
  title?: unknown;
  submit?: unknown;
  close?: unknown;
  blocks: unknown[];
  private_metadata: string;
  callback_id: string;
  external_id: string;
  hash: string;
  app_id: string;
  bot_id: string;
  root_view_id: string;
  previous_view_id: string | null;
  state: { values: Record<string, Record<string, unknown>> };
  /** Who the view was opened for (the user of the trigger). */
  user: string;
  openedAt: number;
}

/** What the bot posted to a response_url, and what it did to the conversation. */
export interface SlackResponsePost {
  url: string;
  kind: 'command' | 'action';
  at: number;
  body: Record<string, unknown>;
  status: number;
  effect: 'ephemeral' | 'in_channel' | 'replaced' | 'deleted' | 'rejected';
  error?: string;
}

export interface SlackFaultSpec {
  kind: 'rate-limit' | 'server-error';
  /** Affect only this method; absent means every Web API method. */
  method?: string;
  /** Affect the next N calls … */
  calls?: number;
  /** … or every call for this long (ms). One of the two is required. */
  forMs?: number;
  /** Seconds sent in `Retry-After` (rate-limit only); default 1. */
  retryAfterSec?: number;
}

export interface IssueRequest {
  /** `view`: a trigger id only (a view submission has no response_url here). */
  kind: 'command' | 'action' | 'view';
  /** Conversation a response_url posts into; required for commands and actions. */
  channel?: string;
  user: string;
  /** For actions on a message: the message the response_url may replace or delete. */
  messageTs?: string;
}

export interface Issued {
  triggerId: string;
  responseUrl: string;
}

/** Everything the stand-in holds, as returned by `GET /lab/state`. */
export interface SlackSimState {
  calls: SlackCall[];
  responses: SlackResponsePost[];
  messages: SlackMessage[];
  ephemerals: SlackEphemeral[];
  views: SlackView[];
}
