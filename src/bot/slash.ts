import { createHash } from 'node:crypto';
import type { AllMiddlewareArgs, App, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { type Command, parseCommand } from '../domain/command-grammar.js';
import { isBasculeError } from '../domain/errors.js';
import { type Block, clip } from './blocks/limits.js';
import type { BotContext } from './context.js';

// The part every slash command shares: acknowledge at once (Slack wants an answer within 3 s; the
// work happens after), ignore Slack's redeliveries of a request already taken, parse with the
// shared grammar (bad input gets an ephemeral reply with the usage), and refuse other channels.

export type SlashArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;
export type Reply = (text: string, blocks?: Block[]) => Promise<void>;

export interface SlashRequest {
  user: string;
  channel: string;
  text: string;
  /** `/migrate site5 --to lognes`, as typed. */
  typed: string;
  parsed: Command;
  reply: Reply;
}

export function requestKey(c: SlashArgs['command']): string {
  const basis = c.trigger_id ? `t:${c.trigger_id}` : `c:${c.command}:${c.user_id}:${c.channel_id}:${c.text}`;
  return createHash('sha256').update(basis).digest('hex').slice(0, 32);
}

export function errorReply(err: unknown): string {
  if (isBasculeError(err)) return `:warning: ${err.message}${err.hint ? `\n${err.hint}` : ''}`;
  return `:warning: Something went wrong: ${err instanceof Error ? err.message : String(err)}\nTry again; if it keeps failing, check the bot's logs.`;
}

export function registerSlash(
  app: App,
  name: string,
  ctx: BotContext,
  handle: (req: SlashRequest) => Promise<void>,
  /** Checks beyond the grammar that need no I/O (e.g. --at); throws a UsageError. */
  validate?: (parsed: Command) => void,
): void {
  app.command(name, async (args: SlashArgs) => {
    const c = args.command;
    // What can be answered without any I/O (bad input, wrong channel) is answered in the
    // acknowledgement itself: no side effect, so a redelivery just gets the same answer.
    let parsed: Command;
    try {
      parsed = parseCommand(name, c.text, ctx.grammar);
      validate?.(parsed);
    } catch (err) {
      await args.ack({ response_type: 'ephemeral', text: clip(errorReply(err)) });
      return;
    }
    // Help is harmless anywhere; everything else only in the configured channels.
    if (parsed.verb !== 'help' && !ctx.access.channelAllowed(c.channel_id)) {
      await args.ack({ response_type: 'ephemeral', text: clip(`:no_entry: ${ctx.access.channelRefusal()}`) });
      return;
    }
    await args.ack();
    const reply: Reply = (text, blocks) =>
      ctx.responseUrl.post(c.response_url, {
        response_type: 'ephemeral',
        text: clip(text),
        ...(blocks ? { blocks } : {}),
      });
    // The acknowledgement is written; what follows (Redis, replies, the work itself) waits until
    // the event loop has read the requests already in, so under a burst every command is
    // acknowledged before any of them is worked on.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      if (!(await ctx.runs.once(`cmd:${requestKey(c)}`, 3600))) {
        ctx.log.info({ command: name, user: c.user_id }, 'Slack redelivery ignored');
        return;
      }
      await handle({
        user: c.user_id,
        channel: c.channel_id,
        text: c.text,
        typed: `${name} ${c.text}`.trim(),
        parsed,
        reply,
      });
    } catch (err) {
      ctx.log.error(
        { command: name, err: err instanceof Error ? err.message : String(err) },
        'command failed',
      );
      await reply(errorReply(err)).catch(() => undefined);
    }
  });
}
