import type { Redis } from 'ioredis';
import { BasculeError } from '../../domain/errors.js';
import type { Plan } from '../../domain/plan/types.js';
import { type AuditInput, auditEffects } from './audit.js';
import { compareAndSet, type SideEffect } from './cas.js';
import { eventEffect, type RunEvent } from './events.js';
import { type RunKeys, runKeys } from './keys.js';
import { newRunId } from './run-id.js';
import { isTerminal, type RunFencing, type RunRecord, type RunStatus, type UnitRecord } from './types.js';

// The run store: a run document per run, rewritten by compare-and-set so that every transition
// (step running, step done, pause, …) lands atomically with its audit entries and its events.

export interface Mutation<T> {
  audit?: AuditInput[];
  events?: RunEvent[];
  effects?: SideEffect[];
  result?: T;
}

export interface CreateRunInput {
  plan: Plan;
  requestedBy: string;
  stopOnFailure?: boolean;
  status?: Extract<RunStatus, 'awaiting-approval' | 'queued'>;
  now?: Date;
  requiredApprovals?: number;
  fencing?: RunFencing | null;
}

const MAX_CAS_ATTEMPTS = 50;
/** Plans kept parsed per store: the runs a worker is busy with, a few at most. */
const PLAN_CACHE_SIZE = 16;

export class RunStore {
  readonly keys: RunKeys;
  private readonly plans = new Map<string, Plan>();

  constructor(
    readonly redis: Redis,
    prefix?: string,
  ) {
    this.keys = runKeys(prefix);
  }

  async create(input: CreateRunInput): Promise<RunRecord> {
    const at = (input.now ?? new Date()).toISOString();
    const units: Record<string, UnitRecord> = {};
    for (const g of input.plan.groups) {
      units[g.id] = {
        id: g.id,
        status: 'pending',
        startedAt: null,
        endedAt: null,
        steps: g.steps.map((s) => ({
          kind: s.kind,
          state: 'pending',
          startedAt: null,
          endedAt: null,
          attempts: 0,
          estimateMs: s.estimateMs,
          progress: null,
          error: null,
          skipReason: null,
          outcome: null,
        })),
      };
    }
    for (let i = 0; i < 20; i++) {
      const id = newRunId();
      const run: RunRecord = {
        id,
        kind: input.plan.kind,
        from: input.plan.from,
        to: input.plan.to,
        requestedBy: input.requestedBy,
        approvals: [],
        requiredApprovals: input.requiredApprovals ?? 1,
        fencing: input.fencing ?? null,
        notBefore: null,
        planHash: input.plan.hash,
        status: input.status ?? 'awaiting-approval',
        stopOnFailure: input.stopOnFailure ?? false,
        haltedBy: null,
        generation: 0,
        createdAt: at,
        startedAt: null,
        endedAt: null,
        error: null,
        units,
        unitOrder: input.plan.groups.map((g) => g.id),
        version: 1,
      };
      // The plan first: a run document never exists without its plan.
      const planSet = await this.redis.set(this.keys.plan(id), JSON.stringify(input.plan), 'NX');
      if (planSet !== 'OK') continue;
      const created = await compareAndSet(this.redis, this.keys.run(id), 0, JSON.stringify(run), [
        { op: 'sadd', key: this.keys.active(), member: id },
        { op: 'sadd', key: this.keys.allRuns(), member: id },
        ...auditEffects(
          this.keys,
          {
            type: 'run-created',
            runId: id,
            user: input.requestedBy,
            planHash: run.planHash,
            details: {
              kind: run.kind,
              from: run.from,
              to: run.to,
              units: run.unitOrder,
              requiredApprovals: run.requiredApprovals,
              ...(run.fencing ? { fencing: run.fencing } : {}),
            },
          },
          at,
        ),
        eventEffect(this.keys, { type: 'run', runId: id, status: run.status, version: 1 }),
      ]);
      if (created) return run;
    }
    throw new BasculeError('RUN_ID_EXHAUSTED', 'could not allocate a free run id', { retryable: true });
  }

  async get(id: string): Promise<RunRecord | null> {
    const json = await this.redis.get(this.keys.run(id));
    return json === null ? null : (JSON.parse(json) as RunRecord);
  }

  async require(id: string): Promise<RunRecord> {
    const run = await this.get(id);
    if (!run) {
      throw new BasculeError('RUN_NOT_FOUND', `no run ${id}`, {
        hint: 'Check the id with `bascule history`.',
      });
    }
    return run;
  }

  /**
   * The approved plan. It is written once (SET NX) and never changed, so each store parses it
   * once: the engine asks for it at every unit, lock renewal and progress read, and a plan of 200
   * units is a large document. Callers must not modify the object they get.
   */
  async plan(id: string): Promise<Plan> {
    const cached = this.plans.get(id);
    if (cached) return cached;
    const json = await this.redis.get(this.keys.plan(id));
    if (json === null) throw new BasculeError('RUN_NOT_FOUND', `no plan stored for run ${id}`);
    const plan = JSON.parse(json) as Plan;
    if (this.plans.size >= PLAN_CACHE_SIZE) this.plans.delete(this.plans.keys().next().value as string);
    this.plans.set(id, plan);
    return plan;
  }

  /** Ids of the runs not yet ended. */
  async activeIds(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.active())).sort();
  }

  /** Every run, newest first. */
  async list(limit = 50): Promise<RunRecord[]> {
    const ids = await this.redis.smembers(this.keys.allRuns());
    if (ids.length === 0) return [];
    const docs = await this.redis.mget(...ids.map((id) => this.keys.run(id)));
    return docs
      .filter((d): d is string => d !== null)
      .map((d) => JSON.parse(d) as RunRecord)
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))
      .slice(0, limit);
  }

  /**
   * Applies `mutate` to a copy of the run and writes it if nobody wrote in between (else re-reads
   * and applies again). `mutate` returns null for "nothing to change", or throws to refuse.
   */
  async update<T = undefined>(
    id: string,
    mutate: (run: RunRecord) => Mutation<T> | null,
  ): Promise<{ run: RunRecord; result: T | undefined; changed: boolean }> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const before = await this.require(id);
      const draft = structuredClone(before);
      const mutation = mutate(draft);
      if (mutation === null) return { run: before, result: undefined, changed: false };
      const at = new Date().toISOString();
      draft.version = before.version + 1;
      const effects: SideEffect[] = [...(mutation.effects ?? [])];
      if (isTerminal(draft.status) && !isTerminal(before.status)) {
        draft.endedAt = draft.endedAt ?? at;
        effects.push({ op: 'srem', key: this.keys.active(), member: id });
      } else if (!isTerminal(draft.status) && isTerminal(before.status)) {
        draft.endedAt = null;
        effects.push({ op: 'sadd', key: this.keys.active(), member: id });
      }
      for (const a of mutation.audit ?? []) effects.push(...auditEffects(this.keys, a, at));
      const events = [...(mutation.events ?? [])];
      if (draft.status !== before.status) {
        events.push({ type: 'run', runId: id, status: draft.status, version: draft.version });
      }
      for (const e of events) {
        effects.push(eventEffect(this.keys, 'version' in e ? { ...e, version: draft.version } : e));
      }
      if (
        await compareAndSet(this.redis, this.keys.run(id), before.version, JSON.stringify(draft), effects)
      ) {
        return { run: draft, result: mutation.result, changed: true };
      }
    }
    throw new BasculeError('RUN_CONTENDED', `run ${id} is being updated by too many writers at once`, {
      retryable: true,
    });
  }
}
