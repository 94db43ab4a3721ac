import { isTerminal } from '../jobs/run/types.js';
import { endApproval } from './approval.js';
import { clip, MAX_FALLBACK } from './blocks/limits.js';
import type { BotContext } from './context.js';
import { errorReply } from './slash.js';

// Pause, resume, cancel and retry, from the card's buttons or `/bascule VERB RUN`: the same
// permission rule either way (an approver, or the requester for pause and cancel), the run
// engine's transition, a line in the run's thread, and the card follows the events.

export type ControlVerb = 'pause' | 'resume' | 'cancel' | 'retry';

const past: Record<ControlVerb, string> = {
  pause: ':double_vertical_bar: paused',
  resume: ':arrow_forward: resumed',
  cancel: ':no_entry_sign: cancelled',
  retry: ':repeat: retried the failed unit(s) of',
};

export async function mayControl(
  ctx: BotContext,
  verb: ControlVerb,
  runId: string,
  user: string,
): Promise<boolean> {
  if (await ctx.access.isApprover(user)) return true;
  if (verb === 'pause' || verb === 'cancel') {
    const run = await ctx.control.store.get(runId);
    return run?.requestedBy === user;
  }
  return false;
}

/** Returns the text for the person who asked (ephemeral). */
export async function controlRun(
  ctx: BotContext,
  verb: ControlVerb,
  runId: string,
  user: string,
  unit: string | null = null,
): Promise<string> {
  if (!(await mayControl(ctx, verb, runId, user))) {
    return `:no_entry: You may not ${verb} run \`${runId}\`: only approvers${verb === 'pause' || verb === 'cancel' ? ' and the requester' : ''} may. Ask one of them (see approvals in sites.yaml).`;
  }
  try {
    const pending = await ctx.runs.get(runId);
    if (verb === 'cancel' && pending && pending.decision === null) {
      await endApproval(
        ctx,
        runId,
        { kind: 'cancelled', by: user, at: new Date(ctx.now()).toISOString() },
        user,
      );
      return `:no_entry_sign: Run \`${runId}\` cancelled before approval; nothing was changed.`;
    }
    const run =
      verb === 'pause'
        ? await ctx.control.pause(runId, user)
        : verb === 'resume'
          ? await ctx.control.resume(runId, user)
          : verb === 'cancel'
            ? await ctx.control.cancel(runId, user)
            : await ctx.control.retry(runId, user, unit);
    const record = await ctx.runs.get(runId);
    if (record) {
      await ctx.client.chat.postMessage({
        channel: record.channel,
        thread_ts: record.parentTs,
        text: clip(
          `<@${user}> ${past[verb]} run \`${runId}\`${unit ? ` (unit \`${unit}\`)` : ''}.`,
          MAX_FALLBACK,
        ),
      });
      if (!isTerminal(run.status)) ctx.follow(runId);
    }
    return `${past[verb]} run \`${runId}\` (now ${run.status}).`;
  } catch (err) {
    return errorReply(err);
  }
}
