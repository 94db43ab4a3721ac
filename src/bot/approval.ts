import type { RunRecord } from '../jobs/run/types.js';
import {
  approvalPromptBlocks,
  type Decision,
  decidedPromptBlocks,
  decisionText,
} from './blocks/approval-prompt.js';
import { clip, MAX_FALLBACK } from './blocks/limits.js';
import { parentBlocks } from './blocks/parent-message.js';
import type { BotRun } from './bot-runs.js';
import type { BotContext } from './context.js';
import { errorReply } from './slash.js';

// Four-eyes approval of a run: who may approve comes from the config (user ids, or a user group);
// the requester never approves their own run; `approvals.required` distinct approvers (two at
// least for a failover overriding the fencing guard), counted by the run control; approvals
// expire. A refused click changes nothing and gets an ephemeral answer. Once decided, every copy of
// the prompt is rewritten to say who decided and when, without buttons.

const iso = (t: number) => new Date(t).toISOString();

export async function closePrompts(ctx: BotContext, r: BotRun, d: Decision): Promise<void> {
  for (const p of r.prompts) {
    await ctx.client.chat.update({
      channel: p.channel,
      ts: p.ts,
      text: clip(decisionText(r.runId, d), MAX_FALLBACK),
      blocks: decidedPromptBlocks(r.runId, r.summary, d),
    });
  }
}

async function setParent(ctx: BotContext, r: BotRun, status: string): Promise<void> {
  await ctx.client.chat.update({
    channel: r.channel,
    ts: r.parentTs,
    text: clip(`<@${r.requestedBy}> asked: ${r.command} — ${status}`, MAX_FALLBACK),
    blocks: parentBlocks({ user: r.requestedBy, command: r.command, status }),
  });
}

/** Redraws every copy of an undecided prompt with the approvals so far. */
async function refreshPrompts(ctx: BotContext, r: BotRun): Promise<void> {
  const blocks = approvalPromptBlocks({
    runId: r.runId,
    summary: r.summary,
    requestedBy: r.requestedBy,
    planHash: r.planHash,
    required: r.required,
    approvals: r.approvals,
    expiresAt: iso(r.expiresAt),
    startAt: r.startAt === null ? null : iso(r.startAt),
    startAtLabel: r.startAtLabel ?? null,
  });
  for (const p of r.prompts) {
    await ctx.client.chat.update({
      channel: p.channel,
      ts: p.ts,
      text: clip(`Approval needed for run ${r.runId}: ${r.summary}`, MAX_FALLBACK),
      blocks,
    });
  }
}

/** Ends an undecided approval (expired, or the run cancelled before approval). */
export async function endApproval(
  ctx: BotContext,
  runId: string,
  d: Decision,
  cancelRun: string | null,
): Promise<boolean> {
  const res = await ctx.runs.update(runId, (r) => (r.decision ? null : { ...r, decision: d }));
  if (!res?.after) return false;
  if (cancelRun) {
    await ctx.control.cancel(runId, cancelRun).catch((err: unknown) => {
      ctx.log.warn(
        { runId, err: err instanceof Error ? err.message : String(err) },
        'cancel after approval ended',
      );
    });
  }
  await closePrompts(ctx, res.after, d);
  await setParent(ctx, res.after, decisionText(runId, d));
  return true;
}

/** Expires every undecided approval past its expiry (called on clicks and by a timer). */
export async function expireApprovals(ctx: BotContext): Promise<void> {
  for (const id of await ctx.runs.ids()) {
    const r = await ctx.runs.get(id);
    if (!r) {
      await ctx.runs.forget(id);
      continue;
    }
    if (r.decision === null && ctx.now() >= r.expiresAt) {
      await endApproval(ctx, id, { kind: 'expired', at: iso(r.expiresAt) }, 'bascule');
    }
  }
}

/**
 * One approver's click. The run control records the approval (distinct users, never the
 * requester) and queues the run once it has as many as it needs; this side checks who may click,
 * mirrors the approvals for the prompt and closes the prompt when the run is queued.
 */
export async function approve(ctx: BotContext, runId: string, user: string): Promise<string> {
  const r = await ctx.runs.get(runId);
  if (!r)
    return `:warning: Run \`${runId}\` is not one this bot is waiting on. Check \`/bascule status ${runId}\`.`;
  if (r.decision) return `This approval is closed: ${decisionText(runId, r.decision)}`;
  if (ctx.now() >= r.expiresAt) {
    await endApproval(ctx, runId, { kind: 'expired', at: iso(r.expiresAt) }, 'bascule');
    return `:hourglass: The approval of run \`${runId}\` expired at ${iso(r.expiresAt)}; nothing was changed. Ask <@${r.requestedBy}> to run \`${r.command}\` again.`;
  }
  if (user === r.requestedBy) {
    return ':no_entry: You requested this run, so you cannot approve it too: another approver must.';
  }
  if (!(await ctx.access.isApprover(user))) {
    return ':no_entry: You are not an approver for Bascule runs (approvals.approvers / userGroup in sites.yaml). Ask one of them to approve.';
  }
  if (r.approvals.some((a) => a.user === user)) {
    return `You already approved run \`${runId}\`; it needs ${r.required - r.approvals.length} more approver(s).`;
  }
  const startAt = r.startAt !== null && r.startAt > ctx.now() ? r.startAt : null;
  let run: RunRecord;
  try {
    run = await ctx.control.approve(runId, user, { startAt, now: ctx.now() });
  } catch (err) {
    return errorReply(err);
  }
  const approvals = run.approvals.map((a) => ({ user: a.user, at: a.at }));
  const required = run.requiredApprovals ?? r.required;
  if (run.status !== 'queued') {
    const res = await ctx.runs.update(runId, (x) => (x.decision ? null : { ...x, approvals, required }));
    if (res?.after) await refreshPrompts(ctx, res.after);
    return `:ballot_box_with_check: Approval recorded; run \`${runId}\` needs ${required - approvals.length} more approver(s).`;
  }
  const decision: Decision = {
    kind: 'approved',
    by: approvals.map((a) => a.user),
    at: iso(ctx.now()),
    startAt: run.notBefore ?? null,
  };
  const res = await ctx.runs.update(runId, (x) =>
    x.decision ? null : { ...x, approvals, required, decision },
  );
  const after = res?.after ?? { ...r, approvals, required, decision };
  await closePrompts(ctx, after, decision);
  ctx.follow(runId);
  if (decision.startAt !== null) {
    await setParent(ctx, after, `:alarm_clock: Run \`${runId}\` approved; starts at ${decision.startAt}.`);
    return `Approved: run \`${runId}\` starts at ${decision.startAt}.`;
  }
  return `:white_check_mark: Approved: run \`${runId}\` is starting.`;
}

export async function reject(ctx: BotContext, runId: string, user: string): Promise<string> {
  const r = await ctx.runs.get(runId);
  if (!r) return `:warning: Run \`${runId}\` is not one this bot is waiting on.`;
  if (r.decision) return `This approval is closed: ${decisionText(runId, r.decision)}`;
  if (user !== r.requestedBy && !(await ctx.access.isApprover(user))) {
    return ':no_entry: Only an approver (or the requester, to withdraw) may reject this run.';
  }
  const ended = await endApproval(ctx, runId, { kind: 'rejected', by: user, at: iso(ctx.now()) }, user);
  return ended ? `Run \`${runId}\` rejected; nothing was changed.` : 'This approval is already closed.';
}
