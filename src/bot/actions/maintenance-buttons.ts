import type { AllMiddlewareArgs, App, SlackActionMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import { ACTION_RUN_PREFLIGHT, ACTION_START_FAILBACK } from '../../domain/maintenance/messages.js';
import type { MaintenanceService } from '../../jobs/maintenance/service.js';
import { clip } from '../blocks/limits.js';
import type { BotContext } from '../context.js';
import { type MoveOptions, type MoveRequester, startMove } from '../move-flow.js';
import { errorReply } from '../slash.js';

// **Run preflight** (start prompt) and **Start failback** (end prompt) on the maintenance messages:
// the /migrate or /failback flow for the window's move, in a new thread of the channel where the
// button was clicked, with the same rules as the commands (command channels, operators; the run
// still needs its approvals). Once a run is recorded the window is marked migrating / failing-back
// with a link to the thread. A blocked preflight leaves the window as it was.

type ActionArgs = SlackActionMiddlewareArgs & AllMiddlewareArgs;

const valueSchema = z.object({
  windowId: z.string().regex(/^mw-[a-z0-9]{4,16}$/),
  site: z.string().min(1).max(64),
  destination: z.string().min(1).max(64),
  mode: z.enum(['cold', 'hot', 'zerto']).nullable(),
});

const payloadSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().regex(/^[UW][A-Z0-9]+$/) }),
  actions: z.array(z.object({ action_ts: z.string().optional(), value: z.string().max(2000) })).min(1),
  channel: z.object({ id: z.string() }),
});

type Value = z.infer<typeof valueSchema>;

interface ButtonKind {
  state: 'migrating' | 'failing-back';
  run: 'migrate' | 'failback';
  typed(v: Value): string;
  move(ctx: BotContext, v: Value): MoveOptions['request'];
}

const kinds: Record<string, ButtonKind> = {
  [ACTION_RUN_PREFLIGHT]: {
    state: 'migrating',
    run: 'migrate',
    typed: (v) => `/migrate ${v.site} --to ${v.destination}${v.mode ? ` --mode ${v.mode}` : ''}`,
    move: (_ctx, v) => ({
      kind: 'migrate',
      from: v.site,
      to: v.destination,
      ...(v.mode ? { mode: v.mode } : {}),
      forceOff: true,
    }),
  },
  [ACTION_START_FAILBACK]: {
    state: 'failing-back',
    run: 'failback',
    typed: (v) => `/failback ${v.site}`,
    move: (_ctx, v) => ({ kind: 'failback', from: v.destination, to: v.site, forceOff: true }),
  },
};

async function permalink(ctx: BotContext, channel: string, ts: string): Promise<string | undefined> {
  try {
    return (await ctx.client.chat.getPermalink({ channel, message_ts: ts })).permalink ?? undefined;
  } catch {
    return undefined;
  }
}

async function handle(
  ctx: BotContext,
  service: MaintenanceService,
  kind: ButtonKind,
  v: Value,
  req: MoveRequester,
): Promise<void> {
  const w = await service.show(v.windowId);
  if (w.state === 'cancelled' || w.state === 'done') {
    await req.reply(`:no_entry: Maintenance ${w.id} is ${w.state}; nothing was started.`);
    return;
  }
  const outcome = await startMove(ctx, req, {
    request: kind.move(ctx, v),
    dryRun: false,
    startAt: null,
    startAtLabel: null,
  });
  if (!outcome) return; // refused (not an operator), already answered
  if (outcome.runId === null) {
    await req.reply(
      `:warning: Maintenance ${w.id}: no run was recorded (see the thread); the window stays ${w.state}.`,
    );
    return;
  }
  const link = await permalink(ctx, outcome.channel, outcome.parentTs);
  await service.setState(w.id, kind.state, {
    kind: kind.run,
    link: {
      runId: outcome.runId,
      channel: outcome.channel,
      ts: outcome.parentTs,
      ...(link ? { permalink: link } : {}),
    },
  });
  await req.reply(
    `:white_check_mark: Maintenance ${w.id} is now ${kind.state}: run \`${outcome.runId}\` awaits approval in the thread.`,
  );
}

export function registerMaintenanceActions(app: App, ctx: BotContext, service: MaintenanceService): void {
  for (const [actionId, kind] of Object.entries(kinds)) {
    app.action(actionId, async (args: ActionArgs) => {
      await args.ack();
      const say = async (text: string) => {
        await args.respond({ response_type: 'ephemeral', replace_original: false, text: clip(text) });
      };
      const parsed = payloadSchema.safeParse(args.body);
      const action = parsed.success ? parsed.data.actions[0] : undefined;
      let value: Value | null = null;
      try {
        value = action ? valueSchema.parse(JSON.parse(action.value)) : null;
      } catch {
        value = null;
      }
      if (!parsed.success || !action || !value) {
        ctx.log.warn({ actionId }, 'malformed maintenance action ignored');
        await say(
          ':warning: That button sent something Bascule cannot read; use `/maintenance list` and `/migrate`.',
        ).catch(() => undefined);
        return;
      }
      const user = parsed.data.user.id;
      const channel = parsed.data.channel.id;
      try {
        if (!ctx.access.channelAllowed(channel)) {
          await say(`:no_entry: ${ctx.access.channelRefusal()}`);
          return;
        }
        const key = `act:${actionId}:${value.windowId}:${user}:${action.action_ts ?? ''}`;
        if (!(await ctx.runs.once(key, 3600))) return;
        await handle(ctx, service, kind, value, { user, channel, typed: kind.typed(value), reply: say });
      } catch (err) {
        ctx.log.error({ actionId, err: err instanceof Error ? err.message : String(err) }, 'action failed');
        await say(errorReply(err)).catch(() => undefined);
      }
    });
  }
}
