import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import {
  getRunState,
  isTerminal,
  loadRunReport,
  type RunControl,
  type RunState,
  readEvents,
} from '../../jobs/run/index.js';
import { followRun } from '../commands/run-support.js';
import type { CliContext } from '../types.js';
import { renderCard } from './card.js';

// Follows a run from the console until it ends, pauses, or the operator detaches (the signal). On a
// terminal the progress card is redrawn in place (cursor up, clear down); elsewhere the plain lines
// of `bascule migrate` (followRun). Either way the run report is printed at the end.

export type FollowEnd = 'ended' | 'paused' | 'detached';

export interface FollowOptions {
  tty: boolean;
  columns: () => number;
  signal: AbortSignal;
  /** Redraw at least this often (the ETA moves between events). */
  redrawMs?: number;
}

const up = (n: number) => (n > 0 ? `\x1b[${n}A` : '');
const clearDown = '\r\x1b[J';

export async function followInConsole(
  control: RunControl,
  runId: string,
  ctx: CliContext,
  o: FollowOptions,
): Promise<FollowEnd> {
  if (!o.tty) return followPlain(control, runId, ctx, o.signal);
  const reader = control.redis.duplicate();
  const onAbort = () => reader.disconnect();
  o.signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await followCard(control, reader, runId, ctx, o);
  } catch (err) {
    if (o.signal.aborted) return 'detached';
    throw err;
  } finally {
    o.signal.removeEventListener('abort', onAbort);
    reader.disconnect();
  }
}

async function followPlain(
  control: RunControl,
  runId: string,
  ctx: CliContext,
  signal: AbortSignal,
): Promise<FollowEnd> {
  let detached = false;
  const mutedCtx: CliContext = {
    ...ctx,
    stdout: muteAfter(ctx.stdout, () => detached),
  };
  const following = followRun(control, runId, mutedCtx);
  // After a detach the loop may still run against a closed connection: its error is expected.
  following.catch(() => undefined);
  const aborted = new Promise<'detached'>((resolve) => {
    if (signal.aborted) resolve('detached');
    signal.addEventListener('abort', () => resolve('detached'), { once: true });
  });
  const end = await Promise.race([
    following.then((r) => (r.status === 'paused' ? 'paused' : 'ended')),
    aborted,
  ]);
  if (end === 'detached') detached = true;
  return end as FollowEnd;
}

function muteAfter(out: CliContext['stdout'], muted: () => boolean): CliContext['stdout'] {
  return new Writable({
    write(chunk, _enc, cb) {
      if (!muted()) out.write(chunk);
      cb();
    },
  });
}

async function followCard(
  control: RunControl,
  reader: Redis,
  runId: string,
  ctx: CliContext,
  o: FollowOptions,
): Promise<FollowEnd> {
  let drawn = 0;
  let lastId = '0';
  const draw = (state: RunState, above: string[] = []) => {
    const card = renderCard(state, o.columns());
    ctx.stdout.write(`${up(drawn)}${clearDown}${above.map((l) => `${l}\n`).join('')}${card.join('\n')}\n`);
    drawn = card.length;
  };
  ctx.stdout.write('(Ctrl-C detaches: the run continues; /status shows it later.)\n');
  for (;;) {
    if (o.signal.aborted) return 'detached';
    const batch = await readEvents(reader, control.store.keys, runId, lastId, o.redrawMs ?? 1000);
    lastId = batch.lastId;
    const above: string[] = [];
    for (const e of batch.events) {
      if (e.type === 'alert')
        above.push(`ALERT ${e.unitId}: [${e.code}] ${e.message}${e.hint ? ` ${e.hint}` : ''}`);
      else if (e.type === 'step' && e.state === 'failed')
        above.push(`${e.unitId}: step ${e.index + 1} ${e.kind} failed${e.message ? ` — ${e.message}` : ''}`);
    }
    const run = await control.store.require(runId);
    draw(await getRunState(control.store, runId), above);
    if (isTerminal(run.status)) {
      ctx.stdout.write(`\n${(await loadRunReport(control.store, runId)).markdown}`);
      return 'ended';
    }
    if (run.status === 'paused') {
      ctx.stdout.write(`Run ${runId} is paused: /resume ${runId} to go on.\n`);
      return 'paused';
    }
  }
}
