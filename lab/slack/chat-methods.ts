import { z } from 'zod';
import {
  type ApiAnswer,
  type ApiMethod,
  fail,
  isAnswer,
  maxTextLength,
  postableChannel,
  wireMessage,
} from './api-context.js';
import { bool, invalidArguments, jsonArray, str, zodMessages } from './args.js';
import { blockErrors, withIds } from './blocks.js';
import type { SlackStore } from './store.js';

// chat.* methods. Slack's rules reproduced: a message needs text, blocks or attachments; text is
// capped at 40,000 characters; blocks follow Block Kit limits; replies go under the thread's parent;
// only the bot's own messages can be updated.

const content = {
  channel: str.optional(),
  text: str.optional(),
  blocks: jsonArray.optional(),
  attachments: jsonArray.optional(),
  thread_ts: str.optional(),
};
const postArgs = z.looseObject({
  ...content,
  reply_broadcast: bool.optional(),
  metadata: z.unknown().optional(),
});
const updateArgs = z.looseObject({ ...content, ts: str.optional() });
const ephemeralArgs = z.looseObject({ ...content, user: str.optional() });
const permalinkArgs = z.looseObject({ channel: str.optional(), message_ts: str.optional() });
const deleteArgs = z.looseObject({ channel: str.optional(), ts: str.optional() });

const tsFormat = /^\d{9,10}\.\d{6}$/;

/** Errors in the message content common to post, update and ephemeral; undefined when valid. */
export function contentError(a: {
  text?: string;
  blocks?: unknown[];
  attachments?: unknown[];
}): ApiAnswer | undefined {
  const hasText = a.text !== undefined && a.text !== '';
  if (!hasText && (a.blocks?.length ?? 0) === 0 && (a.attachments?.length ?? 0) === 0) return fail('no_text');
  if ((a.text?.length ?? 0) > maxTextLength) return fail('msg_too_long');
  if ((a.attachments?.length ?? 0) > 100) return fail('too_many_attachments');
  if (a.blocks) {
    const errors = blockErrors(a.blocks, 50);
    if (errors.length > 0)
      return fail('invalid_blocks', {
        errors,
        response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) },
      });
  }
  return undefined;
}

/** The thread parent's ts for a thread_ts, or Slack's error. */
function threadParent(
  store: SlackStore,
  channel: string,
  threadTs: string | undefined,
): string | ApiAnswer | undefined {
  if (threadTs === undefined || threadTs === '') return undefined;
  if (!tsFormat.test(threadTs)) return fail('invalid_thread_ts');
  const parent = store.message(channel, threadTs);
  if (!parent) return fail('thread_not_found');
  // A reply's ts is accepted and resolves to its parent, as in Slack.
  return parent.thread_ts ?? parent.ts;
}

const postMessage: ApiMethod = (raw, store) => {
  const parsed = postArgs.safeParse(raw);
  if (!parsed.success) return invalidArguments(zodMessages(parsed.error));
  const a = parsed.data;
  const channel = postableChannel(store, a.channel);
  if (isAnswer(channel)) return channel;
  const bad = contentError(a);
  if (bad) return bad;
  const thread = threadParent(store, channel.id, a.thread_ts);
  if (typeof thread === 'object') return thread;
  const bot = store.workspace.bot;
  const m = store.post({
    channel: channel.id,
    user: bot.userId,
    bot_id: bot.botId,
    app_id: bot.appId,
    text: a.text ?? '',
    ...(a.blocks ? { blocks: withIds(a.blocks) } : {}),
    ...(a.attachments ? { attachments: a.attachments } : {}),
    ...(thread ? { thread_ts: thread } : {}),
    ...(thread && a.reply_broadcast ? { subtype: 'thread_broadcast' } : {}),
    ...(a.metadata !== undefined ? { metadata: a.metadata } : {}),
  });
  return { ok: true, channel: channel.id, ts: m.ts, message: wireMessage(m, store) };
};

const update: ApiMethod = (raw, store) => {
  const parsed = updateArgs.safeParse(raw);
  if (!parsed.success) return invalidArguments(zodMessages(parsed.error));
  const a = parsed.data;
  const channel = postableChannel(store, a.channel);
  if (isAnswer(channel)) return channel;
  const m = a.ts === undefined ? undefined : store.message(channel.id, a.ts);
  if (!m) return fail('message_not_found');
  if (m.bot_id !== store.workspace.bot.botId) return fail('cant_update_message');
  const bad = contentError(a);
  if (bad) return bad;
  if (a.text !== undefined) m.text = a.text;
  if (a.blocks !== undefined) m.blocks = withIds(a.blocks);
  if (a.attachments !== undefined) m.attachments = a.attachments;
  m.edited = { user: store.workspace.bot.userId, ts: store.clock.next() };
  return { ok: true, channel: channel.id, ts: m.ts, text: m.text, message: wireMessage(m, store) };
};

const postEphemeral: ApiMethod = (raw, store) => {
  const parsed = ephemeralArgs.safeParse(raw);
  if (!parsed.success) return invalidArguments(zodMessages(parsed.error));
  const a = parsed.data;
  const channel = postableChannel(store, a.channel);
  if (isAnswer(channel)) return channel;
  const user = a.user === undefined ? undefined : store.user(a.user);
  if (!user || user.deleted) return fail('user_not_found');
  if (!store.isMember(channel, user.id)) return fail('user_not_in_channel');
  const bad = contentError(a);
  if (bad) return bad;
  const thread = threadParent(store, channel.id, a.thread_ts);
  if (typeof thread === 'object') return thread;
  const messageTs = store.clock.next();
  store.ephemerals.push({
    channel: channel.id,
    user: user.id,
    message_ts: messageTs,
    text: a.text ?? '',
    ...(a.blocks ? { blocks: withIds(a.blocks) } : {}),
    ...(thread ? { thread_ts: thread } : {}),
    via: 'api',
  });
  return { ok: true, message_ts: messageTs };
};

const getPermalink: ApiMethod = (raw, store) => {
  const parsed = permalinkArgs.safeParse(raw);
  if (!parsed.success) return invalidArguments(zodMessages(parsed.error));
  const a = parsed.data;
  const channel = a.channel === undefined ? undefined : store.channel(a.channel);
  if (!channel) return fail('channel_not_found');
  const m = a.message_ts === undefined ? undefined : store.message(channel.id, a.message_ts);
  if (!m) return fail('message_not_found');
  const base = `https://${store.workspace.team.domain}.slack.com/archives/${channel.id}/p${m.ts.replace('.', '')}`;
  const inThread = m.thread_ts !== undefined && m.thread_ts !== m.ts;
  return {
    ok: true,
    channel: channel.id,
    permalink: inThread ? `${base}?thread_ts=${m.thread_ts}&cid=${channel.id}` : base,
  };
};

const deleteMessage: ApiMethod = (raw, store) => {
  const parsed = deleteArgs.safeParse(raw);
  if (!parsed.success) return invalidArguments(zodMessages(parsed.error));
  const a = parsed.data;
  const channel = a.channel === undefined ? undefined : store.channel(a.channel);
  if (!channel) return fail('channel_not_found');
  const m = a.ts === undefined ? undefined : store.message(channel.id, a.ts);
  if (!m) return fail('message_not_found');
  if (m.bot_id !== store.workspace.bot.botId) return fail('cant_delete_message');
  store.remove(channel.id, m.ts);
  return { ok: true, channel: channel.id, ts: m.ts };
};

export const chatMethods: Record<string, ApiMethod> = {
  'chat.postMessage': postMessage,
  'chat.update': update,
  'chat.postEphemeral': postEphemeral,
  'chat.getPermalink': getPermalink,
  'chat.delete': deleteMessage,
};
