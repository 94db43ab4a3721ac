import { describeVerdict } from '../../domain/fencing.js';
import type { PlanStep, UnitPlan } from '../../domain/plan/types.js';
import type { Logger } from '../../log.js';
import type { StepOutcome, StepProgress } from '../steps/types.js';
import {
  markStepDone,
  markStepFailed,
  markStepRunning,
  recordProgress,
  setUnitStatus,
  toStepError,
  unitOf,
} from './checkpoints.js';
import type { EngineEnv, UnitJobData } from './engine-env.js';
import type { BaseStepContext } from './engine-types.js';
import { firstFencedStep, guardFencedStep } from './fencing-guard.js';
import { heldByOther, releaseSlot, tryAcquireSlot, waitForRelease } from './slots.js';
import type { RunRecord, UnitStatus } from './types.js';

// One unit job: takes a concurrency slot of its run, then runs the unit's steps in order, skipping
// `done` and `skipped`, running again a step found `running` (a crash). Between steps it obeys the
// run's controls: pause holds the unit, cancel (or another unit's failure under stopOnFailure)
// stops it. A failed step stops the unit and raises an alert; the job itself succeeds, because a
// failed step is a state of the run for the operator to retry, not something BullMQ should retry.

/** What a unit must do now, given the run's controls: null = carry on. */
function hold(run: RunRecord): UnitStatus | null {
  if (run.status === 'paused') return 'paused';
  if (run.status === 'cancelling' || run.status === 'cancelled' || run.haltedBy !== null) return 'cancelled';
  if (run.status === 'failed' || run.status === 'succeeded') return 'cancelled';
  return null;
}

export async function processUnitJob<C extends BaseStepContext>(
  env: EngineEnv<C>,
  jobId: string,
  data: UnitJobData,
  log: Logger,
): Promise<UnitStatus> {
  const { store } = env;
  const { runId, unitId } = data;
  let run = await store.unitView(runId, unitId);
  const plan = await store.plan(runId);
  const unitPlan = plan.groups.find((g) => g.id === unitId);
  if (!unitPlan) throw new Error(`plan of run ${runId} has no unit ${unitId}`);
  const early = settled(run, unitId);
  if (early === 'succeeded' || early === 'failed') return early;

  const slotKey = store.keys.slots(runId);
  const slot = {
    key: slotKey,
    holder: unitId,
    jobId,
    leaseMs: env.timings.slotLeaseMs,
    max: Math.max(1, plan.parallelism.maxParallelUnits),
    // Symmetric, whichever side of the pair the plan wrote it on.
    conflicts: [
      ...new Set([
        ...unitPlan.notConcurrentWith,
        ...plan.groups.filter((g) => g.notConcurrentWith.includes(unitId)).map((g) => g.id),
      ]),
    ],
  };
  await setUnitStatus(store, runId, unitId, 'waiting');
  for (;;) {
    if (await tryAcquireSlot(store.redis, slot)) break;
    await waitForRelease(slotKey, env.timings.slotPollMs, env.signal);
    if (env.signal.aborted) throw new Error('worker shutting down while waiting for a slot');
    run = await store.unitView(runId, unitId);
    const h = settled(run, unitId);
    // A job of an earlier generation still finishing this unit's step: wait for it to let go.
    if (h && !(await heldByOther(store.redis, slotKey, unitId, jobId))) {
      if (h !== 'succeeded' && h !== 'failed') await setUnitStatus(store, runId, unitId, h);
      return h;
    }
  }
  const renew = setInterval(() => {
    void tryAcquireSlot(store.redis, slot).catch(() => undefined);
  }, env.timings.slotLeaseMs / 3);
  renew.unref();
  try {
    // Re-read: while this job waited, an earlier job may have finished the unit, or a control come.
    const now = settled(await store.unitView(runId, unitId), unitId);
    if (now === 'succeeded' || now === 'failed') return now;
    if (now) {
      await setUnitStatus(store, runId, unitId, now);
      return now;
    }
    log.info({ unitId }, 'unit started');
    await setUnitStatus(store, runId, unitId, 'running');
    return await runSteps(env, runId, jobId, unitPlan, log);
  } finally {
    clearInterval(renew);
    await releaseSlot(store.redis, slotKey, unitId, jobId).catch(() => undefined);
  }
}

/** The unit's status if it must not run now (already ended, or held by a control); else null. */
function settled(run: RunRecord, unitId: string): UnitStatus | null {
  const unit = unitOf(run, unitId);
  if (unit.status === 'succeeded') return 'succeeded';
  if (unit.status === 'failed') return 'failed';
  return hold(run);
}

async function runSteps<C extends BaseStepContext>(
  env: EngineEnv<C>,
  runId: string,
  jobId: string,
  unitPlan: UnitPlan,
  log: Logger,
): Promise<UnitStatus> {
  const { store } = env;
  const unitId = unitPlan.id;
  for (let index = 0; index < unitPlan.steps.length; index++) {
    const step = unitPlan.steps[index] as PlanStep;
    const run = await store.unitView(runId, unitId);
    const h = hold(run);
    if (h) {
      await setUnitStatus(store, runId, unitId, h);
      log.info({ unitId, status: h }, 'unit held by a run control');
      return h;
    }
    const record = unitOf(run, unitId).steps[index];
    if (record?.state === 'done' || record?.state === 'skipped') continue;
    const needsMutex = step.kind === 'resync-replication' && run.kind === 'failback';
    const fenced = run.kind === 'failover' && index === firstFencedStep(unitPlan);
    const ok = await withResyncMutex(env, runId, unitId, jobId, needsMutex, () =>
      executeStep(env, run, unitId, index, step, log, fenced),
    );
    if (ok === 'held') {
      const status = hold(await store.unitView(runId, unitId)) ?? 'paused';
      await setUnitStatus(store, runId, unitId, status);
      return status;
    }
    if (!ok) return 'failed';
  }
  await setUnitStatus(store, runId, unitId, 'succeeded');
  log.info({ unitId }, 'unit succeeded');
  return 'succeeded';
}

/** Failback resyncs load the one array serving everything: one at a time across the run. */
async function withResyncMutex<C extends BaseStepContext, T>(
  env: EngineEnv<C>,
  runId: string,
  unitId: string,
  jobId: string,
  needed: boolean,
  fn: () => Promise<T>,
): Promise<T | 'held'> {
  if (!needed) return fn();
  const slot = {
    key: env.store.keys.resyncMutex(runId),
    holder: unitId,
    jobId,
    leaseMs: env.timings.slotLeaseMs,
    max: 1,
    conflicts: [],
  };
  for (;;) {
    if (await tryAcquireSlot(env.store.redis, slot)) break;
    await waitForRelease(slot.key, env.timings.slotPollMs, env.signal);
    if (env.signal.aborted) throw new Error('worker shutting down while waiting for the resync mutex');
    if (hold(await env.store.unitView(runId, unitId))) return 'held';
  }
  const renew = setInterval(() => {
    void tryAcquireSlot(env.store.redis, slot).catch(() => undefined);
  }, env.timings.slotLeaseMs / 3);
  renew.unref();
  try {
    return await fn();
  } finally {
    clearInterval(renew);
    await releaseSlot(env.store.redis, slot.key, unitId, jobId).catch(() => undefined);
  }
}

async function executeStep<C extends BaseStepContext>(
  env: EngineEnv<C>,
  run: RunRecord,
  unitId: string,
  index: number,
  step: PlanStep,
  log: Logger,
  fenced = false,
): Promise<boolean> {
  const { store, deps } = env;
  const runId = run.id;
  const stepLog = log.child({ unitId, step: index, kind: step.kind });
  const record = await markStepRunning(store, runId, unitId, index);
  stepLog.info({ attempt: record.attempts }, 'step started');
  const progress = progressWriter(env, runId, unitId, index, stepLog);
  let outcome: StepOutcome;
  try {
    const ctx = await deps.makeContext({
      runId,
      unitId,
      log: stepLog,
      signal: env.signal,
      progress: (p) => progress.push(p),
    });
    if (fenced && deps.probeFencing) {
      const verdict = await guardFencedStep(run, deps.probeFencing);
      const level = verdict.verdict === 'fenced' ? 'info' : 'warn';
      stepLog[level]({ verdict: verdict.verdict }, 'fencing probed before the first fenced step');
      progress.push({ percent: null, message: `fencing: ${describeVerdict(verdict)}` });
    }
    const exec = deps.executors[step.kind] as unknown as (s: PlanStep, c: C) => Promise<StepOutcome>;
    outcome = await exec(step, ctx);
  } catch (err) {
    await progress.drain();
    if (env.signal.aborted) throw err; // shutting down: the step stays `running`, the next worker resumes it
    const error = toStepError(err);
    stepLog.error({ code: error.code, err: error.message }, 'step failed');
    const after = await markStepFailed(store, runId, unitId, index, error);
    if (after.stopOnFailure) {
      await store.update(runId, (r) => {
        if (r.haltedBy !== null) return null;
        r.haltedBy = `unit ${unitId} failed at step ${index + 1} (${step.kind}) and the run stops on failure`;
        return {};
      });
    }
    return false;
  }
  await progress.drain();
  await markStepDone(store, runId, unitId, index, outcome);
  stepLog.info({ summary: outcome.summary }, 'step done');
  return true;
}

/** Progress reports are written one at a time, the latest winning, so a chatty executor never queues writes. */
function progressWriter<C extends BaseStepContext>(
  env: EngineEnv<C>,
  runId: string,
  unitId: string,
  index: number,
  log: Logger,
) {
  let pending: StepProgress | null = null;
  let busy: Promise<void> | null = null;
  const flush = async () => {
    while (pending) {
      const p = pending;
      pending = null;
      await recordProgress(env.store, runId, unitId, index, p).catch((err: unknown) =>
        log.warn({ err: String(err) }, 'progress not recorded'),
      );
    }
    busy = null;
  };
  return {
    push(p: StepProgress) {
      pending = p;
      if (!busy) busy = flush();
    },
    async drain() {
      if (busy) await busy;
    },
  };
}
