import type { AllMiddlewareArgs, App, SlackActionMiddlewareArgs } from '@slack/bolt';
import { approve, reject } from '../approval.js';
import { APPROVE_ACTION, REJECT_ACTION } from '../blocks/approval-prompt.js';
import { clip } from '../blocks/limits.js';
import { CANCEL_ACTION, PAUSE_ACTION, RESUME_ACTION, RETRY_ACTION } from '../blocks/progress-card.js';
import type { BotContext } from '../context.js';
import { blockActionSchema } from '../payloads.js';
import { controlRun } from '../run-actions.js';
import { errorReply } from '../slash.js';

// The buttons: Approve / Reject on the approval prompt, Pause / Resume / Cancel / Retry on the
// progress card. Acknowledged at once; the person who clicked gets an ephemeral answer (a refusal
// changes nothing), the shared messages are updated by the handlers.

type ActionArgs = SlackActionMiddlewareArgs & AllMiddlewareArgs;

type Handler = (ctx: BotContext, runId: string, user: string) => Promise<string>;

const handlers: Record<string, Handler> = {
  [APPROVE_ACTION]: approve,
  [REJECT_ACTION]: reject,
  [PAUSE_ACTION]: (ctx, runId, user) => controlRun(ctx, 'pause', runId, user),
  [RESUME_ACTION]: (ctx, runId, user) => controlRun(ctx, 'resume', runId, user),
  [CANCEL_ACTION]: (ctx, runId, user) => controlRun(ctx, 'cancel', runId, user),
  [RETRY_ACTION]: (ctx, runId, user) => controlRun(ctx, 'retry', runId, user),
};

export function registerActions(app: App, ctx: BotContext): void {
  for (const [actionId, handler] of Object.entries(handlers)) {
    app.action(actionId, async (args: ActionArgs) => {
      await args.ack();
      const say = (text: string) =>
        args.respond({ response_type: 'ephemeral', replace_original: false, text: clip(text) });
      const parsed = blockActionSchema.safeParse(args.body);
      const action = parsed.success ? parsed.data.actions[0] : undefined;
      if (!parsed.success || !action?.value) {
        ctx.log.warn({ actionId }, 'malformed block action ignored');
        await say(
          ':warning: That button sent something Bascule cannot read; use `/bascule status` instead.',
        ).catch(() => undefined);
        return;
      }
      const user = parsed.data.user.id;
      try {
        const key = `act:${actionId}:${action.value}:${user}:${action.action_ts ?? ''}`;
        if (!(await ctx.runs.once(key, 3600))) return;
        await say(await handler(ctx, action.value, user));
      } catch (err) {
        ctx.log.error({ actionId, err: err instanceof Error ? err.message : String(err) }, 'action failed');
        await say(errorReply(err)).catch(() => undefined);
      }
    });
  }
}
