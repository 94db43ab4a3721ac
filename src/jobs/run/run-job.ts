import type { FlowProducer } from 'bullmq';
import { BasculeError, isBasculeError } from '../../domain/errors.js';
import { diffPlanInputs } from '../../domain/plan/plan-inputs.js';
import type { Logger } from '../../log.js';
import type { EngineEnv, RunJobData } from './engine-env.js';
import { finalizeJobId, JOB_RETENTION, unitJobId } from './engine-env.js';
import type { BaseStepContext } from './engine-types.js';
import { fencingRefusal } from './fencing-guard.js';
import { RUN_QUEUE, UNIT_QUEUE } from './keys.js';
import { acquireRunLock, releaseRunLock, scopeOfRun } from './locks.js';
import { buildRunReport } from './report.js';
import { isTerminal, type RunRecord, type RunStatus, type StepError } from './types.js';

// The run job: checks the plan still holds (before the first step), renews the run's locks, then
// adds one flow: a `finalize` parent in the run queue over one child job per unit not yet
// succeeded. Job ids carry the run's generation, so a run job run again after a crash adds nothing
// twice, and a resume or retry (new generation) gets fresh jobs.

export async function processRunJob<C extends BaseStepContext>(
  env: EngineEnv<C>,
  flow: FlowProducer,
  data: RunJobData,
  log: Logger,
): Promise<RunStatus> {
  if (data.finalize) return finalizeRun(env, data, log);
  const { store } = env;
  let run = await store.require(data.runId);
  if (run.generation !== data.generation || isTerminal(run.status)) return run.status;
  if (run.status === 'awaiting-approval') {
    throw new BasculeError('RUN_NOT_APPROVED', `run ${run.id} has not been approved`, {
      hint: 'A second operator must approve it first.',
    });
  }
  if (run.startedAt === null && run.status !== 'cancelling') {
    const refusal = fencingRefusal(run) ?? (await checkPlan(env, run, log));
    if (refusal) return refuse(env, run.id, refusal, log);
  }
  try {
    await acquireRunLock(store.redis, store.keys, await scopeOfRun(store, run.id), env.timings.runLockTtlMs);
  } catch (err) {
    if (isBasculeError(err) && err.code === 'RUN_LOCKED') {
      return refuse(env, run.id, { code: err.code, message: err.message, hint: err.hint ?? null }, log);
    }
    throw err;
  }
  ({ run } = await store.update(run.id, (r) => {
    if (r.status !== 'queued') return null;
    const first = r.startedAt === null;
    r.status = 'running';
    r.startedAt = r.startedAt ?? new Date().toISOString();
    return first ? { audit: [{ type: 'run-started', runId: r.id, user: null, planHash: r.planHash }] } : {};
  }));
  const units = run.unitOrder.filter((u) => run.units[u]?.status !== 'succeeded');
  log.info({ generation: data.generation, units }, 'run flow queued');
  await flow.add({
    name: 'finalize',
    queueName: RUN_QUEUE,
    data: { runId: run.id, generation: data.generation, finalize: true } satisfies RunJobData,
    opts: {
      ...JOB_RETENTION,
      jobId: finalizeJobId(run.id, data.generation),
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
    },
    children: units.map((unitId) => ({
      name: 'unit',
      queueName: UNIT_QUEUE,
      data: { runId: run.id, unitId, generation: data.generation },
      opts: {
        ...JOB_RETENTION,
        jobId: unitJobId(run.id, unitId, data.generation),
        // A unit job that exhausts its attempts must not leave the run waiting for ever.
        ignoreDependencyOnFailure: true,
        attempts: 5,
        backoff: { type: 'exponential', delay: 1000 },
      },
    })),
  });
  return 'running';
}

async function checkPlan<C extends BaseStepContext>(
  env: EngineEnv<C>,
  run: RunRecord,
  log: Logger,
): Promise<StepError | null> {
  if (!env.deps.replan) return null;
  const approved = await env.store.plan(run.id);
  const fresh = await env.deps.replan(run, approved);
  if (fresh.hash === run.planHash) return null;
  const differences = diffPlanInputs(approved.inputs, fresh.inputs);
  log.warn({ differences }, 'plan changed since approval, run refused');
  return {
    code: 'PLAN_CHANGED',
    message: `the situation changed since approval: ${differences.join('; ') || 'plan inputs differ'}`,
    hint: 'Run the preflight again and have the new plan approved.',
  };
}

async function refuse<C extends BaseStepContext>(
  env: EngineEnv<C>,
  runId: string,
  error: StepError,
  log: Logger,
): Promise<RunStatus> {
  const { run } = await env.store.update(runId, (r) => {
    r.status = 'failed';
    r.error = error;
    return { audit: [{ type: 'run-refused', runId, user: null, planHash: r.planHash, details: { error } }] };
  });
  await closeRun(env, run, log);
  return run.status;
}

/** The flow's parent: every unit job of the generation has ended; decide what the run is now. */
async function finalizeRun<C extends BaseStepContext>(
  env: EngineEnv<C>,
  data: RunJobData,
  log: Logger,
): Promise<RunStatus> {
  const { run, changed } = await env.store.update(data.runId, (r) => {
    if (r.generation !== data.generation || isTerminal(r.status)) return null;
    const units = r.unitOrder.map((id) => r.units[id]).filter((u) => u !== undefined);
    const at = new Date().toISOString();
    let status: RunStatus;
    if (units.every((u) => u.status === 'succeeded')) status = 'succeeded';
    else if (r.status === 'cancelling') status = 'cancelled';
    else if (r.status === 'paused') status = 'paused';
    else status = 'failed';
    for (const u of units) {
      if (u.status === 'succeeded' || u.status === 'failed' || u.status === 'cancelled') continue;
      if (u.status === 'pending' && status !== 'cancelled') continue;
      if (status === 'paused') {
        u.status = 'paused';
        continue;
      }
      // A unit job that gave up (infrastructure errors) or units never started.
      u.status = status === 'cancelled' || r.haltedBy !== null ? 'cancelled' : 'failed';
      u.endedAt = at;
    }
    if (r.status === status) return {};
    r.status = status;
    return isTerminal(status)
      ? {
          audit: [
            {
              type: 'run-ended',
              runId: r.id,
              user: null,
              planHash: r.planHash,
              details: { status, units: Object.fromEntries(units.map((u) => [u.id, u.status])) },
            },
          ],
        }
      : {};
  });
  if (changed && isTerminal(run.status)) await closeRun(env, run, log);
  log.info({ status: run.status }, 'run flow ended');
  return run.status;
}

/** Releases the locks and stores the report of an ended run. */
async function closeRun<C extends BaseStepContext>(
  env: EngineEnv<C>,
  run: RunRecord,
  log: Logger,
): Promise<void> {
  const { store } = env;
  const plan = await store.plan(run.id);
  await releaseRunLock(store.redis, store.keys, await scopeOfRun(store, run.id));
  await store.redis.set(store.keys.report(run.id), JSON.stringify(buildRunReport(run, plan)));
  log.info({ status: run.status }, 'run ended');
}
