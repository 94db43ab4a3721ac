import { randomBytes } from 'node:crypto';
import type { SlackEphemeral, SlackMessage, SlackView, SlackWorkspaceSpec } from './types.js';

// Request bodies in the shapes Slack documents for slash commands, interactivity payloads and the
// Events API. Pure: the driver fills in ids the stand-in issued and sends them.

type Json = Record<string, unknown>;

export interface Origin {
  workspace: SlackWorkspaceSpec;
  /** The app's legacy verification token, sent in `token` as Slack still does. */
  verificationToken: string;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function userName(o: Origin, id: string): string {
  return o.workspace.users.find((u) => u.id === id)?.name ?? id.toLowerCase();
}

function channelName(o: Origin, id: string): string {
  return (
    o.workspace.channels.find((c) => c.id === id)?.name ??
    (id.startsWith('D') ? 'directmessage' : id.toLowerCase())
  );
}

function actionTs(): string {
  const now = Date.now();
  return `${Math.floor(now / 1000)}.${String((now % 1000) * 1000).padStart(6, '0')}`;
}

export function slashCommandForm(
  o: Origin,
  a: { command: string; text: string; user: string; channel: string; responseUrl: string; triggerId: string },
): URLSearchParams {
  return new URLSearchParams({
    token: o.verificationToken,
    team_id: o.workspace.team.id,
    team_domain: o.workspace.team.domain,
    channel_id: a.channel,
    channel_name: channelName(o, a.channel),
    user_id: a.user,
    user_name: userName(o, a.user),
    command: a.command,
    text: a.text,
    api_app_id: o.workspace.bot.appId,
    is_enterprise_install: 'false',
    response_url: a.responseUrl,
    trigger_id: a.triggerId,
  });
}

function userObject(o: Origin, id: string): Json {
  const name = userName(o, id);
  return { id, username: name, name, team_id: o.workspace.team.id };
}

/** The interactive element with this action_id in a block list, with its block's id. */
export function findElement(
  blocks: unknown[],
  actionId: string,
): { blockId: string; element: Json } | undefined {
  for (const b of blocks) {
    if (!isObject(b)) continue;
    const candidates = [
      ...(Array.isArray(b.elements) ? b.elements : []),
      ...(b.accessory === undefined ? [] : [b.accessory]),
      ...(b.element === undefined ? [] : [b.element]),
    ];
    const element = candidates.find((e): e is Json => isObject(e) && e.action_id === actionId);
    if (element) return { blockId: String(b.block_id), element };
  }
  return undefined;
}

function optionWithValue(element: Json, value: string): Json | undefined {
  const options = Array.isArray(element.options) ? element.options : [];
  return options.find((opt): opt is Json => isObject(opt) && opt.value === value);
}

/** The `actions[0]` entry Slack sends when a user clicks a button or picks an option. */
export function actionEntry(blockId: string, element: Json, selected?: string): Json {
  const base: Json = {
    action_id: element.action_id,
    block_id: blockId,
    type: element.type,
    action_ts: actionTs(),
  };
  if (element.type === 'button') {
    return {
      ...base,
      text: element.text,
      ...(element.value === undefined ? {} : { value: element.value }),
      ...(element.style === undefined ? {} : { style: element.style }),
    };
  }
  if (selected !== undefined) {
    const option = optionWithValue(element, selected);
    if (!option)
      throw new Error(`element ${String(element.action_id)} has no option with value "${selected}"`);
    return { ...base, selected_option: option };
  }
  return base;
}

export function blockActionsPayload(
  o: Origin,
  a: {
    user: string;
    channel: string;
    source: { message: SlackMessage } | { ephemeral: SlackEphemeral };
    action: Json;
    responseUrl: string;
    triggerId: string;
  },
): Json {
  const team = o.workspace.team;
  const ts = 'message' in a.source ? a.source.message.ts : a.source.ephemeral.message_ts;
  const isEphemeral = 'ephemeral' in a.source;
  let message: Json | undefined;
  if ('message' in a.source) {
    const { channel: _c, ...m } = a.source.message;
    message = { ...m, team: team.id };
  }
  return {
    type: 'block_actions',
    user: userObject(o, a.user),
    api_app_id: o.workspace.bot.appId,
    token: o.verificationToken,
    container: { type: 'message', message_ts: ts, channel_id: a.channel, is_ephemeral: isEphemeral },
    trigger_id: a.triggerId,
    team: { id: team.id, domain: team.domain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: a.channel, name: channelName(o, a.channel) },
    ...(message ? { message } : {}),
    state: { values: {} },
    response_url: a.responseUrl,
    actions: [a.action],
  };
}

/**
 * `view.state.values` for a submission: every input of the view, with the values the test typed
 * (by action_id); inputs left alone are sent empty, as Slack does.
 */
export function viewStateValues(view: SlackView, typed: Record<string, string | string[]>): Json {
  const values: Record<string, Json> = {};
  const unknown = new Set(Object.keys(typed));
  for (const b of view.blocks) {
    if (!isObject(b) || b.type !== 'input' || !isObject(b.element)) continue;
    const e = b.element;
    const actionId = String(e.action_id);
    const v = typed[actionId];
    unknown.delete(actionId);
    let state: Json;
    if (e.type === 'static_select' || e.type === 'radio_buttons') {
      state = {
        type: e.type,
        selected_option: typeof v === 'string' ? (optionWithValue(e, v) ?? null) : null,
      };
    } else if (e.type === 'checkboxes' || e.type === 'multi_static_select') {
      const picked = Array.isArray(v) ? v : v === undefined ? [] : [v];
      state = {
        type: e.type,
        selected_options: picked.map((p) => optionWithValue(e, p)).filter((x) => x !== undefined),
      };
    } else if (e.type === 'datepicker') {
      state = { type: e.type, selected_date: typeof v === 'string' ? v : null };
    } else {
      state = { type: e.type, value: typeof v === 'string' ? v : null };
    }
    values[String(b.block_id)] = { ...(values[String(b.block_id)] ?? {}), [actionId]: state };
  }
  if (unknown.size > 0) throw new Error(`the view has no input with action_id ${[...unknown].join(', ')}`);
  return values;
}

export function viewSubmissionPayload(
  o: Origin,
  a: { user: string; view: SlackView; values: Json; triggerId: string },
): Json {
  const team = o.workspace.team;
  const { user: _u, openedAt: _o, ...view } = a.view;
  return {
    type: 'view_submission',
    team: { id: team.id, domain: team.domain },
    user: userObject(o, a.user),
    api_app_id: o.workspace.bot.appId,
    token: o.verificationToken,
    trigger_id: a.triggerId,
    view: { ...view, state: { values: a.values } },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

export function eventEnvelope(o: Origin, event: Json, eventId?: string): Json {
  const now = Date.now();
  return {
    token: o.verificationToken,
    team_id: o.workspace.team.id,
    api_app_id: o.workspace.bot.appId,
    event: { event_ts: actionTs(), ...event },
    type: 'event_callback',
    event_id: eventId ?? `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
    event_time: Math.floor(now / 1000),
    authorizations: [
      {
        enterprise_id: null,
        team_id: o.workspace.team.id,
        user_id: o.workspace.bot.userId,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
  };
}
