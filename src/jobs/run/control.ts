import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { BasculeError } from '../../domain/errors.js';
import type { FencingVerdict } from '../../domain/fencing.js';
import type { Plan } from '../../domain/plan/types.js';
import { JOB_RETENTION, type RunJobData, runJobId } from './engine-env.js';
import { approvalsNeeded, distinctApprovers, fencingRefusal, runFencingOf } from './fencing-guard.js';
import { RUN_QUEUE } from './keys.js';
import { acquireRunLock, releaseRunLock, scopeOfRun } from './locks.js';
import { RunStore } from './run-store.js';
import { isTerminal, type RunRecord, type RunStatus, type StepError } from './types.js';

// What operators do to runs (from Slack, the console or the CLI): submit, approve, pause, resume,
// cancel, retry, skip. Each is one atomic transition of the run document with its audit entry;
// the ones that need work done queue a run job of a new generation, whose flow picks the run up
// where it is (units wait for an older job still finishing its current step).

export interface SubmitInput {
  plan: Plan;
  requestedBy: string;
  stopOnFailure?: boolean;
  /** Distinct approvers needed (approvals.required); default 1. */
  requiredApprovals?: number;
  /** Failover: the preflight's fencing verdict, recorded with the run. */
  fencing?: FencingVerdict | null;
  /** Failover: go on although the source answers (needs two approvers). */
  overrideFencing?: boolean;
}

export interface ApproveOptions {
  /** Epoch ms: the run job waits in the queue until then (--at). */
  startAt?: number | null;
  now?: number;
}

export interface SkipInput {
  unitId: string;
  /** 0-based index of the step in the unit. */
  step: number;
  user: string;
  reason: string;
  /** A second operator who approved the skip. */
  approvedBy: string;
}

function refuse(run: RunRecord, action: string, allowed: RunStatus[]): never {
  throw new BasculeError('RUN_STATE', `cannot ${action} run ${run.id}: it is ${run.status}`, {
    hint: `${action} applies to runs that are ${allowed.join(' or ')}.`,
  });
}

export class RunControl {
  readonly store: RunStore;
  private readonly queue: Queue;
  /** BullMQ does not close a connection it was given; this one is ours to quit. */
  private readonly connection: Redis;

  constructor(
    readonly redis: Redis,
    prefix?: string,
  ) {
    this.store = new RunStore(redis, prefix);
    this.connection = redis.duplicate();
    this.queue = new Queue(RUN_QUEUE, { connection: this.connection, prefix: this.store.keys.prefix });
  }

  async close(): Promise<void> {
    // Let BullMQ finish connecting before quitting under it (a lazy connection may be mid-way).
    await this.queue.waitUntilReady().catch(() => undefined);
    await this.queue.close();
    await this.connection.quit().catch(() => undefined);
  }

  /** Records the run (awaiting approval) and takes its locks; RUN_LOCKED if another run holds them. */
  async submit(input: SubmitInput): Promise<RunRecord> {
    const fencing =
      input.plan.kind === 'failover' ? runFencingOf(input.fencing, input.overrideFencing ?? false) : null;
    const run = await this.store.create({
      plan: input.plan,
      requestedBy: input.requestedBy,
      stopOnFailure: input.stopOnFailure ?? false,
      requiredApprovals: approvalsNeeded(input.requiredApprovals ?? 1, fencing),
      fencing,
    });
    const refusal = fencingRefusal(run);
    if (refusal?.code === 'FENCING_SOURCE_ANSWERS') {
      await this.refuse(run.id, refusal);
      throw new BasculeError(refusal.code, refusal.message, { hint: refusal.hint ?? undefined });
    }
    try {
      await acquireRunLock(this.redis, this.store.keys, await scopeOfRun(this.store, run.id));
    } catch (err) {
      const error =
        err instanceof BasculeError
          ? { code: err.code, message: err.message, hint: err.hint ?? null }
          : { code: 'RUN_LOCK_FAILED', message: String(err), hint: null };
      await this.refuse(run.id, error);
      throw err;
    }
    return run;
  }

  /** A run that may not go on at all: failed at once, with why, in the audit. */
  private async refuse(runId: string, error: StepError): Promise<void> {
    await this.store.update(runId, (r) => {
      r.status = 'failed';
      r.error = error;
      return {
        audit: [
          { type: 'run-refused', runId: r.id, user: r.requestedBy, planHash: r.planHash, details: { error } },
        ],
      };
    });
  }

  /**
   * An operator approves. Approvals are distinct and never the requester's; once there are as many
   * as the run needs (approvals.required, two for a fencing override) the run is queued, at once or
   * as a delayed job when a start time is given.
   */
  async approve(runId: string, user: string, options: ApproveOptions = {}): Promise<RunRecord> {
    const now = options.now ?? Date.now();
    const startAt =
      options.startAt !== undefined && options.startAt !== null && options.startAt > now
        ? options.startAt
        : null;
    const { run } = await this.store.update(runId, (r) => {
      if (r.status !== 'awaiting-approval') refuse(r, 'approve', ['awaiting-approval']);
      if (user === r.requestedBy) {
        throw new BasculeError('APPROVAL_SELF', `${user} requested run ${r.id} and cannot approve it too`, {
          hint: 'Another operator must approve.',
        });
      }
      if (r.approvals.some((a) => a.user === user)) {
        throw new BasculeError('APPROVAL_DUPLICATE', `${user} already approved run ${r.id}`, {
          hint: `Another operator must approve: it needs ${requiredOf(r)} distinct approvers.`,
        });
      }
      const at = new Date(now).toISOString();
      r.approvals.push({ user, at });
      const count = distinctApprovers(r).length;
      const required = requiredOf(r);
      const details = {
        approval: count,
        required,
        ...(r.fencing?.override ? { fencingOverride: true } : {}),
      };
      if (count < required) {
        return { audit: [{ type: 'approval-recorded', runId, user, planHash: r.planHash, details }] };
      }
      const refusal = fencingRefusal(r);
      if (refusal) throw new BasculeError(refusal.code, refusal.message, { hint: refusal.hint ?? undefined });
      r.status = 'queued';
      r.notBefore = startAt === null ? null : new Date(startAt).toISOString();
      return {
        audit: [
          {
            type: 'run-approved',
            runId,
            user,
            planHash: r.planHash,
            details: {
              ...details,
              approvers: distinctApprovers(r),
              ...(r.notBefore ? { startAt: r.notBefore } : {}),
            },
          },
        ],
      };
    });
    if (run.status !== 'queued') return run;
    await acquireRunLock(this.redis, this.store.keys, await scopeOfRun(this.store, runId));
    await this.enqueue(run, startAt === null ? 0 : startAt - now);
    return run;
  }

  async pause(runId: string, user: string): Promise<RunRecord> {
    return (
      await this.store.update(runId, (r) => {
        if (r.status !== 'queued' && r.status !== 'running') refuse(r, 'pause', ['queued', 'running']);
        r.status = 'paused';
        return { audit: [{ type: 'command-pause', runId, user, planHash: r.planHash }] };
      })
    ).run;
  }

  async resume(runId: string, user: string): Promise<RunRecord> {
    const { run } = await this.store.update(runId, (r) => {
      if (r.status !== 'paused') refuse(r, 'resume', ['paused']);
      r.status = r.startedAt === null ? 'queued' : 'running';
      r.generation += 1;
      return { audit: [{ type: 'command-resume', runId, user, planHash: r.planHash }] };
    });
    await this.enqueue(run);
    return run;
  }

  /** Stops after the current steps; the report says where everything is. */
  async cancel(runId: string, user: string): Promise<RunRecord> {
    const { run } = await this.store.update(runId, (r) => {
      const allowed: RunStatus[] = ['awaiting-approval', 'queued', 'running', 'paused'];
      if (!allowed.includes(r.status)) refuse(r, 'cancel', allowed);
      // A run waiting for its start time has run nothing: it ends now, its delayed job removed below.
      const waiting = r.status === 'queued' && r.startedAt === null && isWaiting(r);
      r.status = r.status === 'awaiting-approval' || waiting ? 'cancelled' : 'cancelling';
      r.generation += 1;
      return { audit: [{ type: 'command-cancel', runId, user, planHash: r.planHash }] };
    });
    if (run.status === 'cancelled') {
      await this.removeDelayed(run);
      await releaseRunLock(this.redis, this.store.keys, await scopeOfRun(this.store, runId));
    } else await this.enqueue(run);
    return run;
  }

  /** Runs a failed unit again from its failed step (all failed units when none is named). */
  async retry(runId: string, user: string, unitId: string | null = null): Promise<RunRecord> {
    const before = await this.store.require(runId);
    if (isTerminal(before.status)) {
      // A run that ended released its locks: take them again, or refuse if another run has them.
      await acquireRunLock(this.redis, this.store.keys, await scopeOfRun(this.store, runId));
    }
    const { run } = await this.store.update(runId, (r) => {
      const allowed: RunStatus[] = ['failed', 'running', 'queued'];
      if (!allowed.includes(r.status)) refuse(r, 'retry', allowed);
      const targets = r.unitOrder.filter((id) => {
        const u = r.units[id];
        if (!u) return false;
        if (unitId !== null) return id === unitId;
        return u.status === 'failed' || (r.haltedBy !== null && u.status === 'cancelled');
      });
      if (unitId !== null && targets.length === 0) {
        throw new BasculeError('RUN_UNIT_UNKNOWN', `run ${r.id} has no unit ${unitId}`, {
          hint: `Units of this run: ${r.unitOrder.join(', ')}.`,
        });
      }
      const retried = targets.filter((id) => r.units[id]?.status !== 'succeeded');
      if (
        retried.length === 0 &&
        !(r.status === 'failed' && r.unitOrder.some((id) => r.units[id]?.status === 'pending'))
      ) {
        throw new BasculeError('RUN_NOTHING_TO_RETRY', `run ${r.id} has no failed unit to retry`, {
          hint: 'See `bascule status RUN` for the state of each unit.',
        });
      }
      for (const id of retried) {
        const u = r.units[id];
        if (!u) continue;
        u.status = 'pending';
        u.endedAt = null;
        for (const s of u.steps) if (s.state === 'failed') s.state = 'pending';
      }
      r.haltedBy = null;
      r.error = null;
      r.status = r.startedAt === null ? 'queued' : 'running';
      r.generation += 1;
      return {
        audit: [{ type: 'command-retry', runId, user, planHash: r.planHash, details: { units: retried } }],
      };
    });
    await this.enqueue(run);
    return run;
  }

  /** Marks a step skipped (a second operator approves); `retry` then carries the unit on. */
  async skip(runId: string, input: SkipInput): Promise<RunRecord> {
    if (!input.reason.trim()) throw new BasculeError('SKIP_REASON_MISSING', 'a skip needs a reason');
    if (!input.approvedBy || input.approvedBy === input.user) {
      throw new BasculeError('APPROVAL_SELF', 'skipping a step needs the approval of a second operator', {
        hint: 'Name another operator as approver.',
      });
    }
    return (
      await this.store.update(runId, (r) => {
        const unit = r.units[input.unitId];
        const step = unit?.steps[input.step];
        if (!unit || !step) {
          throw new BasculeError(
            'RUN_STEP_UNKNOWN',
            `run ${r.id} has no step ${input.step + 1} in unit ${input.unitId}`,
          );
        }
        if (step.state !== 'failed' && step.state !== 'pending') {
          throw new BasculeError(
            'RUN_STATE',
            `step ${input.step + 1} (${step.kind}) is ${step.state}; only a failed or pending step can be skipped`,
          );
        }
        if (unit.status === 'running' && step.state === 'pending') {
          throw new BasculeError(
            'RUN_STATE',
            `unit ${input.unitId} is running; pause the run before skipping one of its steps`,
          );
        }
        step.state = 'skipped';
        step.skipReason = input.reason;
        step.endedAt = new Date().toISOString();
        return {
          audit: [
            {
              type: 'command-skip',
              runId,
              user: input.user,
              planHash: r.planHash,
              details: {
                unit: input.unitId,
                step: input.step,
                kind: step.kind,
                reason: input.reason,
                approvedBy: input.approvedBy,
              },
            },
          ],
        };
      })
    ).run;
  }

  /**
   * The run job of this generation. A stable id: queueing it again (a retried approval, a second
   * bot) adds nothing; with a delay it is a BullMQ delayed job, kept in Redis across restarts.
   */
  private async enqueue(run: RunRecord, delayMs = 0): Promise<void> {
    const data: RunJobData = { runId: run.id, generation: run.generation };
    await this.queue.add('start', data, {
      ...JOB_RETENTION,
      jobId: runJobId(run.id, run.generation),
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
      ...(delayMs > 0 ? { delay: delayMs } : {}),
    });
  }

  /** Removes the delayed run job of the generation before a cancel (harmless when there is none). */
  private async removeDelayed(run: RunRecord): Promise<void> {
    for (const generation of [run.generation - 1, run.generation]) {
      if (generation < 0) continue;
      const job = await this.queue.getJob(runJobId(run.id, generation));
      if (job && (await job.isDelayed())) await job.remove().catch(() => undefined);
    }
  }

  /** The delayed run job of a run approved with a start time, if it is still waiting. */
  async scheduledJob(runId: string): Promise<{ id: string; startsAt: number } | null> {
    const run = await this.store.require(runId);
    const job = await this.queue.getJob(runJobId(run.id, run.generation));
    if (!job || !(await job.isDelayed())) return null;
    return { id: job.id ?? '', startsAt: job.timestamp + (job.opts.delay ?? 0) };
  }
}

function requiredOf(r: RunRecord): number {
  return approvalsNeeded(r.requiredApprovals ?? 1, r.fencing);
}

function isWaiting(r: RunRecord): boolean {
  return r.notBefore !== undefined && r.notBefore !== null && Date.parse(r.notBefore) > Date.now();
}
