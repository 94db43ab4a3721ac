import { durationMs } from '../domain/duration.js';
import type { MoveRequest } from '../domain/preflight/types.js';
import type { RunRecord } from '../jobs/run/types.js';
import { approvalPromptBlocks } from './blocks/approval-prompt.js';
import { type Block, clip, MAX_FALLBACK } from './blocks/limits.js';
import { parentBlocks } from './blocks/parent-message.js';
import { preflightReportBlocks, preflightVerdict } from './blocks/preflight-report.js';
import type { BotRun } from './bot-runs.js';
import type { BotContext } from './context.js';
import { errorReply, type SlashRequest } from './slash.js';

// /migrate, /failback, /failover and /preflight: one parent message in the channel saying what was
// asked and by whom; in its thread the preflight report; then, if nothing blocks and a run was
// asked for, the run is recorded (awaiting approval, its locks taken) and the approval prompt
// posted. Runs after the slash command was acknowledged.

export interface MoveOptions {
  request: MoveRequest;
  /** Preflight only (/preflight, --dry-run). */
  dryRun: boolean;
  startAt: number | null;
  startAtLabel: string | null;
  /** Render the preflight, then refuse to start with this reason. */
  refuse?: string;
}

/** Where the flow went: its thread, and the run when one was recorded (null: blocked or refused). */
export interface MoveOutcome {
  channel: string;
  parentTs: string;
  runId: string | null;
}

export type MoveRequester = Pick<SlashRequest, 'user' | 'channel' | 'typed' | 'reply'>;

/**
 * What the approval prompt says of a failover: that it is one (unplanned, replicas made writable,
 * VMs started at the destination) and, when the fencing guard is overridden, what still answers
 * and why two approvers are needed; of a failover test, that production is not touched. Null for
 * other runs.
 */
export function failoverSummary(run: RunRecord): string | null {
  if (run.kind === 'test-failover') {
    return `:test_tube: *FAILOVER TEST* ${run.from} → ${run.to}, ${run.unitOrder.length} VPG(s): copies of their VMs start at ${run.to} on the test network; production keeps running, and the test is stopped and recorded in Zerto at the end.`;
  }
  if (run.kind !== 'failover') return null;
  const units = `${run.unitOrder.length} unit(s)`;
  const head = `:rotating_light: *FAILOVER* (unplanned) ${run.from} → ${run.to}, ${units}: the replicas at ${run.to} become writable and the VMs start there.`;
  const f = run.fencing;
  if (!f?.override) return head;
  const what =
    f.targets.length > 0
      ? `${run.from} still answers (${f.targets.join(', ')})`
      : `${run.from} may still answer`;
  return (
    `${head}\n:warning: *Fencing guard overridden*: ${what}. Two approvers other than the requester are needed, ` +
    'because if the source still runs these VMs they would run twice on diverging disks.'
  );
}

/** Returns null when nothing was posted (the requester may not start runs). */
export async function startMove(
  ctx: BotContext,
  req: MoveRequester,
  o: MoveOptions,
): Promise<MoveOutcome | null> {
  if (!o.dryRun && !o.refuse && !(await ctx.access.isOperator(req.user))) {
    await req.reply(
      ':no_entry: Only operators (access.operators or the operator group in sites.yaml) may start runs. ' +
        `Ask one of them to run \`${req.typed}\`, or see what it would do with \`--dry-run\` or /preflight.`,
    );
    return null;
  }
  const parent = await ctx.client.chat.postMessage({
    channel: req.channel,
    text: clip(`<@${req.user}> asked: ${req.typed}`, MAX_FALLBACK),
    blocks: parentBlocks({ user: req.user, command: req.typed, status: ':mag: Running preflight…' }),
  });
  const parentTs = parent.ts;
  if (!parentTs) throw new Error('chat.postMessage returned no ts');
  const outcome: MoveOutcome = { channel: req.channel, parentTs, runId: null };
  const setStatus = (status: string) =>
    ctx.client.chat.update({
      channel: req.channel,
      ts: parentTs,
      text: clip(`<@${req.user}> asked: ${req.typed} — ${status}`, MAX_FALLBACK),
      blocks: parentBlocks({ user: req.user, command: req.typed, status }),
    });
  const inThread = (text: string, blocks?: Block[]) =>
    ctx.client.chat.postMessage({
      channel: req.channel,
      thread_ts: parentTs,
      text: clip(text, MAX_FALLBACK),
      ...(blocks ? { blocks } : {}),
    });

  let result: Awaited<ReturnType<BotContext['preflight']>>;
  try {
    result = await ctx.preflight(o.request);
  } catch (err) {
    ctx.log.error({ err: err instanceof Error ? err.message : String(err) }, 'preflight failed');
    await inThread(`${errorReply(err)}\nNothing was changed. Run the command again once that is fixed.`);
    await setStatus(':warning: Preflight could not run; see the thread.');
    return outcome;
  }
  await inThread(preflightVerdict(result), preflightReportBlocks(result));

  if (result.blocked) {
    await setStatus(
      ':no_entry: Blocked by preflight: fix the findings in the thread, then run the command again.',
    );
    return outcome;
  }
  if (o.refuse) {
    await inThread(`:no_entry: ${o.refuse}`);
    await setStatus(`:no_entry: Refused: ${o.refuse}`);
    return outcome;
  }
  if (o.dryRun) {
    await setStatus(':white_check_mark: Preflight OK (dry run: nothing will run).');
    return outcome;
  }
  let runId: string;
  let required: number;
  const approvals = ctx.topology.approvals;
  let summary = `${result.plan.kind} ${result.plan.from} → ${result.plan.to}, ${result.plan.groups.length} unit(s)`;
  try {
    const run = await ctx.control.submit({
      plan: result.plan,
      requestedBy: req.user,
      requiredApprovals: approvals.required,
      fencing: result.fencing ?? null,
      overrideFencing: o.request.overrideFencing === true,
    });
    runId = run.id;
    required = run.requiredApprovals ?? approvals.required;
    summary = failoverSummary(run) ?? summary;
  } catch (err) {
    await inThread(`${errorReply(err)}\nNothing was started.`);
    await setStatus(':no_entry: Not started; see the thread.');
    return outcome;
  }
  const now = ctx.now();
  const record: BotRun = {
    runId,
    channel: req.channel,
    parentTs,
    requestedBy: req.user,
    command: req.typed,
    summary,
    planHash: result.plan.hash,
    required,
    createdAt: now,
    expiresAt: now + durationMs(approvals.expiry),
    startAt: o.startAt,
    startAtLabel: o.startAtLabel,
    approvals: [],
    prompts: [],
    decision: null,
  };
  await ctx.runs.save(record);
  const prompt = await inThread(
    `Approval needed for run ${runId}: ${summary}`,
    approvalPromptBlocks({
      runId,
      summary,
      requestedBy: req.user,
      planHash: result.plan.hash,
      required,
      approvals: [],
      expiresAt: new Date(record.expiresAt).toISOString(),
      startAt: o.startAt === null ? null : new Date(o.startAt).toISOString(),
      startAtLabel: o.startAtLabel,
    }),
  );
  const promptTs = prompt.ts;
  if (promptTs) {
    await ctx.runs.update(runId, (r) => ({
      ...r,
      prompts: [...r.prompts, { channel: req.channel, ts: promptTs }],
    }));
  }
  await setStatus(`:lock: Run \`${runId}\` awaiting approval in the thread.`);
  return { ...outcome, runId };
}
