import type { Redis } from 'ioredis';
import { readEvents } from '../jobs/run/events.js';
import { buildRunReport } from '../jobs/run/report.js';
import { runState } from '../jobs/run/run-state.js';
import { isTerminal, type RunRecord } from '../jobs/run/types.js';
import { finalReportBlocks } from './blocks/final-report.js';
import { clip, formatMs, MAX_FALLBACK } from './blocks/limits.js';
import { progressCardBlocks, progressFallback } from './blocks/progress-card.js';
import type { BotContext } from './context.js';
import { stalledSteps } from './stalls.js';

// Follows a run's event stream (XREAD BLOCK on its own connection) and keeps Slack up to date: the
// parent message becomes the progress card, redrawn at most every `cardIntervalMs`; a failed step
// or a stall (a step running far past its estimate) is posted in the thread; the end of the run
// posts the report in the thread, broadcast to the channel. Slack's 429s are waited out by the Web
// API client (Retry-After), so a rate-limited update arrives late, never lost; thread messages go
// through the notify queue (ctx.notify), which holds them through an outage and keeps their order.

export interface FollowOptions {
  cardIntervalMs: number;
  /** A step is stalled when it runs longer than this many times its estimate (and at least stallMinMs). */
  stallFactor: number;
  stallMinMs: number;
  /** Called once when a followed run has ended and its final report is posted. */
  onEnded?: (run: RunRecord) => Promise<void>;
}

const IDLE_REDRAW_MS = 15_000;

export const DEFAULT_FOLLOW: FollowOptions = { cardIntervalMs: 2_000, stallFactor: 3, stallMinMs: 60_000 };

export class Followers {
  private readonly active = new Map<string, AbortController>();
  private readonly loops = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly ctx: () => BotContext,
    private readonly redis: Redis,
    private readonly options: FollowOptions,
  ) {}

  follow(runId: string): void {
    if (this.stopped || this.active.has(runId)) return;
    const abort = new AbortController();
    this.active.set(runId, abort);
    const loop = this.loop(runId, abort.signal)
      .catch((err: unknown) => {
        this.ctx().log.error(
          { runId, err: err instanceof Error ? err.message : String(err) },
          'run follower failed',
        );
      })
      .finally(() => {
        this.active.delete(runId);
        this.loops.delete(loop);
      });
    this.loops.add(loop);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const a of this.active.values()) a.abort();
    await Promise.allSettled([...this.loops]);
  }

  private async loop(runId: string, signal: AbortSignal): Promise<void> {
    const ctx = this.ctx();
    const record = await ctx.runs.get(runId);
    if (!record) return;
    const conn = this.redis.duplicate();
    const keys = ctx.control.store.keys;
    const post = (text: string) =>
      ctx.notify.send({
        channel: record.channel,
        thread_ts: record.parentTs,
        text: clip(text, MAX_FALLBACK),
        runId,
      });
    let lastId = '0';
    let lastDraw = 0;
    let dirty = true;
    const stalled = new Set<string>();
    try {
      for (;;) {
        if (signal.aborted) return;
        const batch = await readEvents(conn, keys, runId, lastId, 500);
        lastId = batch.lastId;
        for (const e of batch.events) {
          dirty = true;
          if (
            e.type === 'step' &&
            e.state === 'failed' &&
            (await ctx.runs.once(`fail:${runId}:${e.unitId}:${e.index}:${e.version}`, 86_400))
          ) {
            const run = await ctx.control.store.get(runId);
            const err = run?.units[e.unitId]?.steps[e.index]?.error;
            await post(
              `:red_circle: \`${e.unitId}\` step ${e.index + 1} (${e.kind}) failed${err ? `: [${err.code}] ${err.message}${err.hint ? ` — ${err.hint}` : ''}` : ''}.\n` +
                `Fix the cause, then press *Retry failed unit(s)* on the card or \`/bascule retry ${runId} ${e.unitId}\`.`,
            );
          }
          // A run approved with --at started from the queue at its time: say so where people look.
          if (
            e.type === 'run' &&
            e.status === 'running' &&
            record.startAt !== null &&
            (await ctx.runs.once(`started:${runId}`, 30 * 86_400))
          ) {
            await post(
              `:arrow_forward: Run \`${runId}\` started at its scheduled time (${new Date(ctx.now()).toISOString()}).`,
            );
          }
          if (
            e.type === 'alert' &&
            (await ctx.runs.once(`alert:${runId}:${e.unitId}:${e.code}:${lastId}`, 86_400))
          ) {
            await post(`:warning: \`${e.unitId}\` [${e.code}] ${e.message}${e.hint ? ` — ${e.hint}` : ''}`);
          }
        }
        const now = ctx.now();
        if (now - lastDraw < this.options.cardIntervalMs) {
          if (!dirty) continue;
          const peek = await ctx.control.store.get(runId);
          if (!peek || !isTerminal(peek.status)) continue;
        }
        const run = await ctx.control.store.require(runId);
        await this.checkStalls(run, now, stalled, post);
        // Waiting for its --at time: the parent keeps saying when it starts until it does.
        if (run.status === 'queued' && run.notBefore && Date.parse(run.notBefore) > ctx.now()) continue;
        // Without news, the card is still redrawn now and then so that its ETA keeps moving.
        if (!dirty && now - lastDraw < IDLE_REDRAW_MS) continue;
        await this.draw(run, record.channel, record.parentTs);
        lastDraw = ctx.now();
        dirty = false;
        if (isTerminal(run.status)) {
          await this.finish(run, record.channel, record.parentTs);
          return;
        }
      }
    } finally {
      conn.disconnect();
    }
  }

  private async checkStalls(
    run: RunRecord,
    now: number,
    seen: Set<string>,
    post: (t: string) => Promise<unknown>,
  ): Promise<void> {
    for (const s of stalledSteps(run, now, this.options.stallFactor, this.options.stallMinMs)) {
      const key = `${s.unitId}:${s.index}:${s.startedAt}`;
      if (seen.has(key)) continue;
      seen.add(key);
      await post(
        `:snail: \`${s.unitId}\` step ${s.index + 1} (${s.kind}) has been running for ${formatMs(s.spentMs)}, ` +
          `estimated ${formatMs(s.estimateMs)}. Check it in vCenter or on the array; pause or cancel from the card if needed.`,
      );
    }
  }

  private async draw(run: RunRecord, channel: string, ts: string): Promise<void> {
    const ctx = this.ctx();
    const plan = await ctx.control.store.plan(run.id);
    const state = runState(run, plan.parallelism.maxParallelUnits, ctx.now());
    await ctx.client.chat.update({
      channel,
      ts,
      text: progressFallback(run),
      blocks: progressCardBlocks(run, { etaMs: state.etaMs, now: ctx.now() }),
    });
  }

  private async finish(run: RunRecord, channel: string, ts: string): Promise<void> {
    const ctx = this.ctx();
    if (!(await ctx.runs.once(`final:${run.id}:${run.version}`, 30 * 86_400))) return;
    const report = buildRunReport(run, await ctx.control.store.plan(run.id));
    await ctx.notify.send({
      channel,
      thread_ts: ts,
      reply_broadcast: true,
      text: clip(`Run ${run.id} ${run.status}: ${run.kind} ${run.from} → ${run.to}`, MAX_FALLBACK),
      blocks: finalReportBlocks(report),
      runId: run.id,
    });
    await this.options.onEnded?.(run);
  }
}
