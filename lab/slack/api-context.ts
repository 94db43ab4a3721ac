import type { ResolvedChannel, SlackStore } from './store.js';
import type { SlackMessage } from './types.js';

export type ApiAnswer = Record<string, unknown> & { ok: boolean; error?: string };
export type ApiMethod = (args: Record<string, unknown>, store: SlackStore) => ApiAnswer;

export function fail(error: string, extra: Record<string, unknown> = {}): ApiAnswer {
  return { ok: false, error, ...extra };
}

/** Maximum `text` length; Slack answers `msg_too_long` beyond it. */
export const maxTextLength = 40_000;

/**
 * A channel the bot can post to, or Slack's error: private channels the bot is not in do not exist
 * for it (`channel_not_found`), public ones answer `not_in_channel`.
 */
export function postableChannel(store: SlackStore, id: string | undefined): ResolvedChannel | ApiAnswer {
  const channel = id === undefined || id === '' ? undefined : store.channel(id);
  if (!channel) return fail('channel_not_found');
  if (channel.botIsMember === false)
    return channel.isPrivate ? fail('channel_not_found') : fail('not_in_channel');
  if (channel.isArchived) return fail('is_archived');
  return channel;
}

export function isAnswer(v: ResolvedChannel | ApiAnswer): v is ApiAnswer {
  return 'ok' in v;
}

/** A message as Slack returns it from chat.postMessage / chat.update (internal fields dropped). */
export function wireMessage(m: SlackMessage, store: SlackStore): Record<string, unknown> {
  const { channel: _channel, ...rest } = m;
  const bot = store.workspace.bot;
  if (m.bot_id === undefined) return { ...rest, team: store.workspace.team.id };
  return {
    ...rest,
    team: store.workspace.team.id,
    bot_profile: {
      id: bot.botId,
      app_id: bot.appId,
      name: bot.name,
      team_id: store.workspace.team.id,
      deleted: false,
    },
  };
}
