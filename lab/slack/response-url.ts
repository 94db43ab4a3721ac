import { z } from 'zod';
import { bool, jsonArray, str } from './args.js';
import { withIds } from './blocks.js';
import { contentError } from './chat-methods.js';
import type { SlackStore } from './store.js';
import type { SlackResponsePost } from './types.js';

// What Slack does with a post to a response_url: an ephemeral reply to the user (the default), a
// message in the channel (`response_type: in_channel`), or an edit or removal of the message whose
// button was clicked. A URL takes five posts within thirty minutes.

const responseBody = z.looseObject({
  text: str.optional(),
  blocks: jsonArray.optional(),
  attachments: jsonArray.optional(),
  response_type: z.enum(['ephemeral', 'in_channel']).optional(),
  replace_original: bool.optional(),
  delete_original: bool.optional(),
  thread_ts: str.optional(),
});

const maxUses = 5;
const lifetimeMs = 30 * 60_000;

export interface ResponseAnswer {
  status: number;
  body: Record<string, unknown>;
  record: SlackResponsePost | undefined;
}

export function handleResponsePost(
  store: SlackStore,
  path: string,
  url: string,
  raw: unknown,
): ResponseAnswer {
  const issued = store.responseUrl(path);
  if (!issued) return { status: 404, body: { ok: false, error: 'no_service' }, record: undefined };
  const kind = issued.kind;
  const at = Date.now();
  const reject = (status: number, error: string, body: Record<string, unknown>): ResponseAnswer => ({
    status,
    body: { ok: false, error },
    record: { url, kind, at, body, status, effect: 'rejected', error },
  });
  const parsed = responseBody.safeParse(raw);
  const body = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  if (!parsed.success) return reject(400, 'invalid_payload', body);
  if (issued.uses >= maxUses) return reject(404, 'used_url', body);
  if (at - issued.issuedAt > lifetimeMs) return reject(404, 'expired_url', body);
  const a = parsed.data;
  // Only accepted posts use up the URL.
  const ok = (effect: SlackResponsePost['effect']): ResponseAnswer => {
    issued.uses++;
    return { status: 200, body: { ok: true }, record: { url, kind, at, body, status: 200, effect } };
  };

  if (a.delete_original) {
    if (issued.messageTs === undefined || !store.remove(issued.channel, issued.messageTs)) {
      return reject(404, 'message_not_found', body);
    }
    return ok('deleted');
  }
  const bad = contentError(a);
  if (bad) return reject(400, String(bad.error), body);
  const original =
    issued.messageTs === undefined ? undefined : store.message(issued.channel, issued.messageTs);
  if (a.replace_original && original) {
    original.text = a.text ?? '';
    if (a.blocks !== undefined) original.blocks = withIds(a.blocks);
    original.edited = { user: store.workspace.bot.userId, ts: store.clock.next() };
    return ok('replaced');
  }
  if (a.response_type === 'in_channel') {
    const bot = store.workspace.bot;
    store.post({
      channel: issued.channel,
      user: bot.userId,
      bot_id: bot.botId,
      app_id: bot.appId,
      text: a.text ?? '',
      ...(a.blocks ? { blocks: withIds(a.blocks) } : {}),
      ...(a.thread_ts ? { thread_ts: a.thread_ts } : {}),
    });
    return ok('in_channel');
  }
  store.ephemerals.push({
    channel: issued.channel,
    user: issued.user,
    message_ts: store.clock.next(),
    text: a.text ?? '',
    ...(a.blocks ? { blocks: withIds(a.blocks) } : {}),
    via: 'response_url',
  });
  return ok('ephemeral');
}
