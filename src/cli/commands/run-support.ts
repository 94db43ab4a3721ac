import { userInfo } from 'node:os';
import { createInterface } from 'node:readline/promises';
import type { Redis } from 'ioredis';
import { readEnvOptions } from '../../config/env.js';
import { BasculeError, UsageError } from '../../domain/errors.js';
import { liveWorkers } from '../../jobs/heartbeat.js';
import { connectRedis } from '../../jobs/redis.js';
import {
  type AuditEntry,
  formatDuration,
  getRunState,
  isTerminal,
  loadRunReport,
  RunControl,
  type RunRecord,
  type RunState,
  readEvents,
} from '../../jobs/run/index.js';
import type { CliContext } from '../types.js';

// Shared by the run commands (migrate, failback, failover, run …, status, history): not a command.

/** Who runs the command: BASCULE_USER, else the login name. */
export function cliUser(env: Record<string, string | undefined>): string {
  return env.BASCULE_USER ?? env.USER ?? userInfo().username;
}

export async function withControl<T>(ctx: CliContext, fn: (control: RunControl) => Promise<T>): Promise<T> {
  const redis = await connectRedis(readEnvOptions(ctx.env).redisUrl);
  const control = new RunControl(redis, readEnvOptions(ctx.env).keyPrefix);
  try {
    return await fn(control);
  } finally {
    await control.close();
    await redis.quit();
  }
}

export function oneRunId(positionals: string[], usage: string): string {
  const [runId, extra] = positionals;
  if (!runId) throw new UsageError('missing RUN id', usage);
  if (extra !== undefined) throw new UsageError(`unexpected "${extra}"`, usage);
  return runId;
}

const icon: Record<string, string> = {
  pending: '·',
  waiting: '…',
  running: '▶',
  done: '✓',
  succeeded: '✓',
  failed: '✗',
  skipped: '↷',
  paused: '‖',
  cancelled: '■',
};

export function renderRunState(s: RunState): string {
  const lines = [
    `Run ${s.id}: ${s.kind} ${s.from} -> ${s.to}, ${s.status}, ${s.percent}%` +
      (s.etaMs !== null ? `, about ${formatDuration(s.etaMs)} left` : '') +
      ` (requested by ${s.requestedBy})`,
  ];
  if (s.error) lines.push(`  [${s.error.code}] ${s.error.message}${s.error.hint ? ` ${s.error.hint}` : ''}`);
  if (s.haltedBy) lines.push(`  halted: ${s.haltedBy}`);
  const width = Math.max(0, ...s.units.map((u) => u.id.length));
  for (const u of s.units) {
    const steps = u.steps
      .map(
        (st) =>
          `${icon[st.state] ?? '?'}${st.kind}${st.state === 'running' && st.percent !== null ? ` ${st.percent}%` : ''}`,
      )
      .join('  ');
    lines.push(`  ${u.id.padEnd(width)}  ${u.status.padEnd(9)}  ${steps}`);
  }
  return `${lines.join('\n')}\n`;
}

export function renderAudit(entries: AuditEntry[]): string {
  return entries
    .map((e) => {
      const d = e.details;
      const what = [
        d.unit !== undefined ? `unit ${String(d.unit)}` : '',
        // Step entries carry the step index; run entries carry the run's kind (migrate, failback…).
        d.kind === undefined
          ? ''
          : d.step === undefined
            ? String(d.kind)
            : `step ${Number(d.step) + 1} ${String(d.kind)}`,
        d.reason !== undefined ? `reason "${String(d.reason)}"` : '',
        d.approvedBy !== undefined ? `approved by ${String(d.approvedBy)}` : '',
        d.status !== undefined ? String(d.status) : '',
      ]
        .filter(Boolean)
        .join(', ');
      return `${e.at}  ${e.runId}  ${e.type.padEnd(14)}  ${e.user ?? '-'}  ${what}  plan ${(e.planHash ?? '').slice(0, 12)}`;
    })
    .join('\n')
    .concat(entries.length > 0 ? '\n' : '');
}

/** Says so when no worker is alive: a queued run would wait for ever. */
export async function warnIfNoWorker(control: RunControl, ctx: CliContext): Promise<void> {
  if ((await liveWorkers(control.redis)).length === 0) {
    ctx.stderr.write('bascule: no worker is running; the run will start when one does (`bascule worker`).\n');
  }
}

/** Prints progress until the run ends; returns the final run. */
export async function followRun(control: RunControl, runId: string, ctx: CliContext): Promise<RunRecord> {
  // XREAD BLOCK holds its connection: a connection of its own, so nothing queues behind it.
  const reader = control.redis.duplicate();
  try {
    return await follow(control, reader, runId, ctx);
  } finally {
    reader.disconnect();
  }
}

async function follow(
  control: RunControl,
  reader: Redis,
  runId: string,
  ctx: CliContext,
): Promise<RunRecord> {
  let lastId = '0';
  let lastLine = '';
  for (;;) {
    const batch = await readEvents(reader, control.store.keys, runId, lastId, 2000);
    lastId = batch.lastId;
    for (const e of batch.events) {
      let line = '';
      if (e.type === 'step' && (e.state === 'running' || e.state === 'done' || e.state === 'failed')) {
        const pct = e.state === 'running' && e.percent !== null ? ` ${e.percent}%` : '';
        line = `${e.unitId}: step ${e.index + 1} ${e.kind} ${e.state}${pct}${e.message ? ` — ${e.message}` : ''}`;
      } else if (e.type === 'unit' && e.status !== 'waiting') line = `${e.unitId}: ${e.status}`;
      else if (e.type === 'run') line = `run ${runId}: ${e.status}`;
      else if (e.type === 'alert')
        line = `ALERT ${e.unitId}: [${e.code}] ${e.message}${e.hint ? ` ${e.hint}` : ''}`;
      if (line && line !== lastLine) ctx.stdout.write(`${line}\n`);
      lastLine = line || lastLine;
    }
    const run = await control.store.require(runId);
    if (isTerminal(run.status)) {
      ctx.stdout.write(`\n${(await loadRunReport(control.store, runId)).markdown}`);
      return run;
    }
    if (run.status === 'paused') {
      ctx.stdout.write(renderRunState(await getRunState(control.store, runId)));
      return run;
    }
  }
}

/**
 * A second operator approves an action on a run (a skip) on this terminal: their name, then the
 * first characters of the run's plan hash, which ties the approval to that run.
 */
export async function askApproval(
  requester: string,
  planHash: string,
  what: string,
  ctx: CliContext,
): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: ctx.stderr as NodeJS.WritableStream });
  try {
    const name = (await rl.question(`${what}: approval by a second operator. Your name: `)).trim();
    if (!name) {
      throw new BasculeError('APPROVAL_MISSING', 'no approver name given', {
        hint: 'Run again, or name the approver with --approved-by.',
      });
    }
    if (name === requester) {
      throw new BasculeError('APPROVAL_SELF', `${name} asked for this and cannot approve it`, {
        hint: 'Another operator must type their name.',
      });
    }
    const code = planHash.slice(0, 6);
    const typed = (await rl.question(`${name}, type ${code} to approve: `)).trim();
    if (typed !== code) {
      throw new BasculeError('APPROVAL_DECLINED', 'not approved', { hint: 'Nothing was changed.' });
    }
    return name;
  } finally {
    rl.close();
  }
}
