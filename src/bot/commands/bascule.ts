import type { App } from '@slack/bolt';
import type { Topology } from '../../config/schema.js';
import { type Command, usages } from '../../domain/command-grammar.js';
import { history } from '../../jobs/run/audit.js';
import { runState } from '../../jobs/run/run-state.js';
import { formatMs } from '../blocks/limits.js';
import { progressCardBlocks, runEmoji } from '../blocks/progress-card.js';
import type { BotContext } from '../context.js';
import { controlRun } from '../run-actions.js';
import { errorReply, registerSlash, type SlashRequest } from '../slash.js';

// `/bascule status|history|help|pause|resume|cancel|retry [RUN]`: everything about runs once
// started. Answers are ephemeral; pause/resume/cancel/retry also leave a line in the run's thread.

export interface SlashUsage {
  usage: string;
  summary: string;
}

export const slashUsages: SlashUsage[] = [
  { usage: usages.migrate, summary: 'preflight, approval by a second person, then the run' },
  { usage: usages.preflight, summary: 'the preflight report only' },
  { usage: usages.failback, summary: 'bring the VMs back to SITE' },
  { usage: usages.failover, summary: 'unplanned move when SITE is down (refused until fencing exists)' },
  { usage: usages.status, summary: 'the active runs, or one run' },
  { usage: usages.history, summary: 'the latest runs, or the audit trail of one' },
  {
    usage: '/bascule pause|resume|cancel RUN',
    summary: 'control a run (approvers; requester may pause/cancel)',
  },
  { usage: usages.retry, summary: 'run the failed unit(s) again' },
  { usage: usages.help, summary: 'this message' },
];

/** Help lists only the commands this deployment actually registered. */
export function helpMessage(topology: Topology, list: SlashUsage[] = slashUsages): string {
  const sites = topology.sites.map((s) => `\`${s.name}\``).join(' and ');
  return [
    '*Bascule* moves VMs between the two server rooms, and back.',
    `Sites: ${sites}.`,
    ...list.map((u) => `• \`${u.usage}\` — ${u.summary}`),
  ].join('\n');
}

async function status(ctx: BotContext, req: SlashRequest, runId: string | null): Promise<void> {
  if (runId === null) {
    const ids = await ctx.control.store.activeIds();
    if (ids.length === 0) {
      await req.reply('No run is active. Start one with `/migrate SITE --to SITE`.');
      return;
    }
    const lines: string[] = [];
    for (const id of ids.slice(0, 20)) {
      const r = await ctx.control.store.get(id);
      if (r)
        lines.push(
          `${runEmoji[r.status]} \`${r.id}\` ${r.kind} ${r.from} → ${r.to} — ${r.status}, by <@${r.requestedBy}>`,
        );
    }
    await req.reply(`*Active runs* (${ids.length}):\n${lines.join('\n')}\nDetails: \`/bascule status RUN\`.`);
    return;
  }
  const run = await ctx.control.store.require(runId);
  const plan = await ctx.control.store.plan(runId);
  const state = runState(run, plan.parallelism.maxParallelUnits, ctx.now());
  const blocks = progressCardBlocks(run, { etaMs: state.etaMs, now: ctx.now() });
  await req.reply(
    `Run \`${run.id}\` ${run.status}, ${state.percent}%${state.etaMs !== null ? `, ETA ${formatMs(state.etaMs)}` : ''}`,
    blocks,
  );
}

async function showHistory(ctx: BotContext, req: SlashRequest, runId: string | null): Promise<void> {
  if (runId === null) {
    const runs = await ctx.control.store.list(15);
    if (runs.length === 0) {
      await req.reply('No run yet. Start one with `/migrate SITE --to SITE`.');
      return;
    }
    const lines = runs.map(
      (r) =>
        `${runEmoji[r.status]} \`${r.id}\` ${r.createdAt.slice(0, 16)} ${r.kind} ${r.from} → ${r.to} — ${r.status}`,
    );
    await req.reply(`*Latest runs*:\n${lines.join('\n')}\nAudit trail of one: \`/bascule history RUN\`.`);
    return;
  }
  await ctx.control.store.require(runId);
  const entries = await history(ctx.redis, ctx.control.store.keys, runId);
  const lines = entries
    .slice(-40)
    .map((e) => `${e.at.slice(11, 19)} ${e.type}${e.user ? ` <@${e.user}>` : ''}`);
  await req.reply(
    `*History of run \`${runId}\`* (${entries.length} entries, latest 40):\n${lines.join('\n')}`,
  );
}

async function dispatch(ctx: BotContext, req: SlashRequest, c: Command): Promise<void> {
  switch (c.verb) {
    case 'help':
      await req.reply(helpMessage(ctx.topology));
      return;
    case 'status':
      await status(ctx, req, c.runId);
      return;
    case 'history':
      await showHistory(ctx, req, c.runId);
      return;
    case 'pause':
    case 'resume':
    case 'cancel':
      await req.reply(await controlRun(ctx, c.verb, c.runId, req.user));
      return;
    case 'retry':
      await req.reply(await controlRun(ctx, 'retry', c.runId, req.user, c.unit));
      return;
    default:
      await req.reply(`Use \`/${c.verb}\` for that.\n\n${helpMessage(ctx.topology)}`);
  }
}

export function registerBasculeCommand(app: App, ctx: BotContext): void {
  registerSlash(app, '/bascule', ctx, async (req) => {
    try {
      await dispatch(ctx, req, req.parsed);
    } catch (err) {
      await req.reply(errorReply(err));
    }
  });
}
