import type { Redis } from 'ioredis';
import { BasculeError } from '../../src/domain/errors.js';
import type { StepKind } from '../../src/domain/plan/types.js';
import type { BaseStepContext, ExecutorsFor } from '../../src/jobs/run/index.js';
import type { StepOutcome } from '../../src/jobs/steps/types.js';

// Executors for engine-mechanics tests: each step acts on a small world kept in Redis (so it
// survives a SIGKILLed worker), under the test's prefix. A step's effect is applied at most once
// (SET NX), like a real idempotent executor that reads the state first. The test steers steps
// through keys: `block` holds a step before (or after) its effect until the test deletes it, `fail`
// makes it throw. Every call, start and end is logged for ordering and concurrency assertions.

export const STEP_KINDS: StepKind[] = [
  'resync-replication',
  'shutdown-vms',
  'unregister-vms',
  'unmount-datastore',
  'switch-replication',
  'make-replica-writable',
  'rescan-hosts',
  'mount-datastore',
  'register-vms',
  'power-on-vms',
  'vmotion-vms',
  'swap-roles',
  'zerto-move',
  'zerto-failover',
  'zerto-commit',
  'verify',
];

export type Gate = 'before' | 'after';

export function worldKeys(prefix: string) {
  const k = (...p: string[]) => [prefix, 'world', ...p].join(':');
  return {
    effect: (run: string, step: string) => k('effect', run, step),
    effects: (run: string) => k('effects', run),
    calls: (run: string) => k('calls', run),
    log: (run: string) => k('log', run),
    block: (step: string, gate: Gate) => k('block', step, gate),
    entered: (step: string, gate: Gate) => k('entered', step, gate),
    fail: (step: string) => k('fail', step),
  };
}

/** `unit#kind`: the world's name of a step (test plans use each kind once per unit). */
export const stepName = (unitId: string, kind: StepKind) => `${unitId}#${kind}`;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function gate(
  redis: Redis,
  keys: ReturnType<typeof worldKeys>,
  name: string,
  g: Gate,
  signal: AbortSignal,
) {
  if (!(await redis.exists(keys.block(name, g)))) return;
  // The value says which process holds the step, so a crash test can kill that one.
  await redis.set(keys.entered(name, g), String(process.pid));
  while (await redis.exists(keys.block(name, g))) {
    if (signal.aborted) throw new Error('aborted while blocked');
    await pause(25);
  }
}

const APPLY_EFFECT = `
if redis.call('SET', KEYS[1], '1', 'NX') then redis.call('HINCRBY', KEYS[2], ARGV[1], 1) end
return 1
`;

export function worldExecutors(redis: Redis, prefix: string): ExecutorsFor<BaseStepContext> {
  const keys = worldKeys(prefix);
  const run = async (kind: StepKind, ctx: BaseStepContext): Promise<StepOutcome> => {
    const name = stepName(ctx.unitId, kind);
    await redis.hincrby(keys.calls(ctx.runId), name, 1);
    await redis.rpush(keys.log(ctx.runId), `start ${name}`);
    ctx.progress({ percent: 10, message: `${name} starting` });
    if (await redis.exists(keys.effect(ctx.runId, name))) {
      await redis.rpush(keys.log(ctx.runId), `end ${name}`);
      return { summary: `${name} already done` };
    }
    await gate(redis, keys, name, 'before', ctx.signal);
    const failure = await redis.get(keys.fail(name));
    if (failure !== null) {
      await redis.rpush(keys.log(ctx.runId), `end ${name}`);
      throw new BasculeError(failure, `${name} failed in the test world`, {
        hint: 'Clear the fault and retry.',
      });
    }
    ctx.progress({ percent: 50, message: `${name} half way` });
    // The effect and its count in one script: a worker SIGKILLed between two separate commands
    // would leave the effect applied and uncounted, and the resumed step would see it done.
    await redis.eval(APPLY_EFFECT, 2, keys.effect(ctx.runId, name), keys.effects(ctx.runId), name);
    await gate(redis, keys, name, 'after', ctx.signal);
    await redis.rpush(keys.log(ctx.runId), `end ${name}`);
    return { summary: `${name} done`, details: { step: name } };
  };
  const out: Partial<
    Record<StepKind, (step: { kind: StepKind }, ctx: BaseStepContext) => Promise<StepOutcome>>
  > = {};
  for (const kind of STEP_KINDS) out[kind] = (_step, ctx) => run(kind, ctx);
  return out as ExecutorsFor<BaseStepContext>;
}

/** Reads what the world saw for one run. */
export async function worldRecord(redis: Redis, prefix: string, runId: string) {
  const keys = worldKeys(prefix);
  const toNumbers = (h: Record<string, string>) =>
    Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Number(v)]));
  return {
    calls: toNumbers(await redis.hgetall(keys.calls(runId))),
    effects: toNumbers(await redis.hgetall(keys.effects(runId))),
    log: await redis.lrange(keys.log(runId), 0, -1),
  };
}

/** Largest number of units inside a step at once, from the world log. */
export function maxOverlap(log: string[], filter: (step: string) => boolean = () => true): number {
  let cur = 0;
  let max = 0;
  for (const line of log) {
    const [what, name] = line.split(' ') as [string, string];
    if (!filter(name)) continue;
    cur += what === 'start' ? 1 : -1;
    max = Math.max(max, cur);
  }
  return max;
}

/** Per unit, the span of log lines from its first step start to its last step end. */
export function unitSpans(log: string[]): Map<string, [number, number]> {
  const spans = new Map<string, [number, number]>();
  log.forEach((line, i) => {
    const unit = (line.split(' ')[1] ?? '').split('#')[0] ?? '';
    const s = spans.get(unit);
    if (s) s[1] = i;
    else spans.set(unit, [i, i]);
  });
  return spans;
}

export function spansOverlap(a: [number, number] | undefined, b: [number, number] | undefined): boolean {
  if (!a || !b) return false;
  return a[0] < b[1] && b[0] < a[1];
}

/** Largest number of units whose spans overlap at one point of the log. */
export function maxUnitOverlap(log: string[]): number {
  const spans = [...unitSpans(log).values()];
  let max = 0;
  for (let i = 0; i < log.length; i++) max = Math.max(max, spans.filter(([a, b]) => a <= i && i <= b).length);
  return max;
}
