import type { App } from '@slack/bolt';
import type { Mode } from '../../domain/command-grammar.js';
import { type MaintenanceCommand, parseMaintenance } from '../../domain/maintenance/grammar.js';
import { renderListMessage, windowText } from '../../domain/maintenance/status-view.js';
import type { ServiceImpact } from '../../domain/maintenance/types.js';
import { ICS_PATH } from '../../jobs/maintenance/ics-route.js';
import type { ChangeResult, MaintenanceService } from '../../jobs/maintenance/service.js';
import { type Block, clip } from '../blocks/limits.js';
import type { BotContext } from '../context.js';
import { errorReply, type Reply, requestKey, type SlashArgs } from '../slash.js';

// `/maintenance schedule|list|show|edit|cancel|ics …`: the maintenance service with the Slack user
// as the actor. Bad input is answered in the acknowledgement (usage, nothing stored); schedule,
// edit and cancel are restricted to the command channels and to operators (the service checks,
// with the operator-group answer from the bot's Access); the service posts the announcement and
// the requester gets the result ephemerally. list and show are read-only and answer anywhere.

const mutating = new Set<MaintenanceCommand['verb']>(['schedule', 'edit', 'cancel']);

function changeText(verb: string, r: ChangeResult): string {
  const lines = [`:white_check_mark: ${verb} \`${r.window.id}\``, '```', windowText(r.window), '```'];
  if (r.posted.length > 0) lines.push(`Announced in ${r.posted.map((p) => `<#${p.channel}>`).join(', ')}.`);
  else if (r.postErrors.length === 0) lines.push('No announcement channel is configured.');
  for (const e of r.postErrors) lines.push(`:warning: Could not announce in <#${e.channel}>: ${e.error}`);
  return lines.join('\n');
}

/** Impact per service from a real preflight plan, for the first announcement (best effort). */
export type ImpactEstimator = (w: {
  site: string;
  destination: string | null;
  mode: Mode | null;
}) => Promise<ServiceImpact[]>;

export async function runMaintenanceCommand(
  ctx: BotContext,
  service: MaintenanceService,
  cmd: MaintenanceCommand,
  user: string,
  reply: Reply,
  estimateImpact?: ImpactEstimator,
): Promise<void> {
  const actor = async () => ({ id: user, inOperatorGroup: await ctx.access.isOperator(user) });
  switch (cmd.verb) {
    case 'schedule': {
      const { verb: _verb, ...input } = cmd;
      // Without vCenter the window is still scheduled; the 1-day reminder estimates the impact.
      const impact = estimateImpact
        ? await estimateImpact(input).catch((err: unknown) => {
            ctx.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'impact not estimated');
            return null;
          })
        : null;
      await reply(changeText('Scheduled', await service.schedule({ ...input, impact }, await actor())));
      return;
    }
    case 'edit': {
      const { verb: _verb, ...input } = cmd;
      await reply(changeText('Changed', await service.edit(input, await actor())));
      return;
    }
    case 'cancel':
      await reply(changeText('Cancelled', await service.cancel(cmd.id, await actor())));
      return;
    case 'list': {
      const m = renderListMessage(await service.list(cmd.all));
      await reply(m.text, m.blocks as Block[]);
      return;
    }
    case 'show': {
      const w = await service.show(cmd.id);
      const m = renderListMessage([w]);
      await reply(windowText(w), m.blocks as Block[]);
      return;
    }
    case 'ics':
      await reply(
        `Calendar clients can subscribe to \`${ICS_PATH}\` on the bot's HTTP address (HTTP mode only).`,
      );
      return;
  }
}

export function registerMaintenanceCommand(
  app: App,
  ctx: BotContext,
  service: MaintenanceService,
  estimateImpact?: ImpactEstimator,
): void {
  app.command('/maintenance', async (args: SlashArgs) => {
    const c = args.command;
    let cmd: MaintenanceCommand;
    try {
      cmd = parseMaintenance(c.text);
    } catch (err) {
      await args.ack({ response_type: 'ephemeral', text: clip(errorReply(err)) });
      return;
    }
    if (mutating.has(cmd.verb) && !ctx.access.channelAllowed(c.channel_id)) {
      await args.ack({ response_type: 'ephemeral', text: clip(`:no_entry: ${ctx.access.channelRefusal()}`) });
      return;
    }
    await args.ack();
    const reply: Reply = async (text, blocks) => {
      await args.respond({ response_type: 'ephemeral', text: clip(text), ...(blocks ? { blocks } : {}) });
    };
    try {
      if (!(await ctx.runs.once(`cmd:${requestKey(c)}`, 3600))) {
        ctx.log.info({ command: '/maintenance', user: c.user_id }, 'Slack redelivery ignored');
        return;
      }
      await runMaintenanceCommand(ctx, service, cmd, c.user_id, reply, estimateImpact);
    } catch (err) {
      ctx.log.warn(
        { command: '/maintenance', err: err instanceof Error ? err.message : String(err) },
        'maintenance command failed',
      );
      await reply(errorReply(err)).catch(() => undefined);
    }
  });
}
