import type { Redis } from 'ioredis';
import { BasculeError } from '../../domain/errors.js';
import type { Plan } from '../../domain/plan/types.js';
import { type AuditInput, auditEffects } from './audit.js';
import { compareAndSet, type RunDocKeys, type SideEffect } from './cas.js';
import { eventEffect, type RunEvent } from './events.js';
import { type RunKeys, runKeys } from './keys.js';
import { newRunId } from './run-id.js';
import { isTerminal, type RunFencing, type RunRecord, type RunStatus, type UnitRecord } from './types.js';

// The run store: a header document and one document per unit for each run (see cas.ts), written
// by compare-and-set so that every transition (step running, step done, pause, …) lands
// atomically with its audit entries and its events.

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
      const effects: SideEffect[] = [
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
        eventEffect(this.keys, { type: 'run', runId: id, status: run.status, version: 0 }),
      ];
      const seq = await compareAndSet(this.redis, this.docKeys(id), {
        expectedHeaderVersion: 0,
        header: JSON.stringify(headerOf(run)),
        expectedUnitVersions: Object.fromEntries(run.unitOrder.map((u) => [u, 0])),
        units: Object.fromEntries(run.unitOrder.map((u) => [u, JSON.stringify(units[u])])),
        effects,
      });
      if (seq !== null) return { ...run, version: seq };
    }
    throw new BasculeError('RUN_ID_EXHAUSTED', 'could not allocate a free run id', { retryable: true });
  }

  /** The whole run: header, every unit, and the run's version. */
  async get(id: string): Promise<RunRecord | null> {
    const snap = await this.snapshot(id, false);
    return snap ? snap.run : null;
  }

  async require(id: string): Promise<RunRecord> {
    return requireRun(id, await this.get(id));
  }

  /** The run's status alone: for pollers that need nothing else. */
  async status(id: string): Promise<RunStatus> {
    const header = await this.redis.get(this.keys.run(id));
    return requireRun(id, header ? (JSON.parse(header) as RunRecord) : null).status;
  }

  /**
   * The run with only `unitId` among its units: what a unit job needs between steps (the run's
   * controls and its own steps), without reading and decoding every other unit of the run.
   */
  async unitView(id: string, unitId: string): Promise<RunRecord> {
    return (await this.readUnit(id, unitId)).run;
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
    const runs = await Promise.all(ids.map((id) => this.get(id)));
    return runs
      .filter((r): r is RunRecord => r !== null)
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))
      .slice(0, limit);
  }

  /**
   * Applies `mutate` to a copy of the whole run and writes what it changed if nobody wrote the
   * run in between (else re-reads and applies again). `mutate` returns null for "nothing to
   * change", or throws to refuse. For changes that span units or touch the run's own fields.
   */
  async update<T = undefined>(
    id: string,
    mutate: (run: RunRecord) => Mutation<T> | null,
  ): Promise<{ run: RunRecord; result: T | undefined; changed: boolean }> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const snap = await this.snapshot(id, true);
      const before = requireRun(id, snap?.run ?? null);
      const draft = structuredClone(before);
      const mutation = mutate(draft);
      if (mutation === null) return { run: before, result: undefined, changed: false };
      const at = new Date().toISOString();
      const membership: SideEffect[] = [];
      if (isTerminal(draft.status) && !isTerminal(before.status)) {
        draft.endedAt = draft.endedAt ?? at;
        membership.push({ op: 'srem', key: this.keys.active(), member: id });
      } else if (!isTerminal(draft.status) && isTerminal(before.status)) {
        draft.endedAt = null;
        membership.push({ op: 'sadd', key: this.keys.active(), member: id });
      }
      const events = [...(mutation.events ?? [])];
      if (draft.status !== before.status) {
        events.push({ type: 'run', runId: id, status: draft.status, version: 0 });
      }
      const effects = this.effectsOf(mutation, membership, events, at);
      const units: Record<string, string> = {};
      for (const unitId of draft.unitOrder) {
        const json = JSON.stringify(draft.units[unitId]);
        if (json !== snap?.rawUnits[unitId]) units[unitId] = json;
      }
      // The run's version goes on from the one the earlier layout kept in the document.
      if (snap?.legacy) await this.redis.set(this.keys.runSeq(id), String(before.version), 'NX');
      const seq = await compareAndSet(this.redis, this.docKeys(id), {
        expectedHeaderVersion: snap?.headerVersion ?? 0,
        header: JSON.stringify(headerOf(draft)),
        expectedUnitVersions: snap?.unitVersions ?? {},
        units,
        effects,
      });
      if (seq !== null) {
        draft.version = seq;
        return { run: draft, result: mutation.result, changed: true };
      }
    }
    throw contended(id);
  }

  /**
   * Applies `mutate` to a copy of one unit, the run's own fields given read-only, and writes the
   * unit if nobody wrote it in between. The step checkpoints of concurrent units go through here:
   * each rewrites only its unit and retries only when its own unit changed.
   */
  async updateUnit<T = undefined>(
    id: string,
    unitId: string,
    mutate: (unit: UnitRecord, run: Readonly<RunRecord>) => Mutation<T> | null,
  ): Promise<{ unit: UnitRecord; run: RunRecord; result: T | undefined; changed: boolean }> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const { run, unit, unitVersion } = await this.readUnit(id, unitId);
      if (unit === null) {
        throw new BasculeError('RUN_UNIT_UNKNOWN', `run ${id} has no unit ${unitId}`, {
          hint: `Units of this run: ${run.unitOrder.join(', ')}.`,
        });
      }
      const mutation = mutate(unit, run);
      if (mutation === null) return { unit, run, result: undefined, changed: false };
      const written = await compareAndSet(this.redis, this.docKeys(id), {
        expectedHeaderVersion: null,
        header: null,
        expectedUnitVersions: { [unitId]: unitVersion },
        units: { [unitId]: JSON.stringify(unit) },
        effects: this.effectsOf(mutation, [], mutation.events ?? []),
      });
      if (written !== null) {
        run.version = written;
        return { unit, run, result: mutation.result, changed: true };
      }
    }
    throw contended(id);
  }

  /** A mutation's own effects, then `extra`, its audit entries and `events`, in that order. */
  private effectsOf(
    mutation: Mutation<unknown>,
    extra: SideEffect[],
    events: RunEvent[],
    at = new Date().toISOString(),
  ): SideEffect[] {
    return [
      ...(mutation.effects ?? []),
      ...extra,
      ...(mutation.audit ?? []).flatMap((a) => auditEffects(this.keys, a, at)),
      ...events.map((e) => eventEffect(this.keys, e)),
    ];
  }

  /**
   * The run with only `unitId` among its units (null when it has none such), and that unit's
   * version, in one MULTI. A run in the earlier layout is upgraded first.
   */
  private async readUnit(
    id: string,
    unitId: string,
  ): Promise<{ run: RunRecord; unit: UnitRecord | null; unitVersion: number }> {
    const k = this.keys;
    for (;;) {
      const res = await this.redis
        .multi()
        .get(k.run(id))
        .hget(k.runUnits(id), unitId)
        .hget(k.runUnitVersions(id), unitId)
        .get(k.runSeq(id))
        .exec();
      const [header, raw, unitVersion, seq] = (res ?? []).map(([err, v]) => {
        if (err) throw err;
        return v as string | null;
      });
      const run = requireRun(id, header ? (JSON.parse(header) as RunRecord) : null);
      if (!raw && (await this.upgradeLegacy(id, run))) continue;
      const unit = raw ? (JSON.parse(raw) as UnitRecord) : null;
      run.units = unit ? { [unitId]: unit } : {};
      run.version = Number(seq ?? 0);
      return { run, unit, unitVersion: Number(unitVersion ?? 0) };
    }
  }

  private docKeys(id: string): RunDocKeys {
    const k = this.keys;
    return {
      header: k.run(id),
      headerVersion: k.runVersion(id),
      units: k.runUnits(id),
      unitVersions: k.runUnitVersions(id),
      seq: k.runSeq(id),
    };
  }

  /** One consistent read of the run's documents (MULTI), with their versions when asked. */
  private async snapshot(id: string, withVersions: boolean): Promise<Snapshot | null> {
    const k = this.keys;
    const tx = this.redis.multi().get(k.run(id)).hgetall(k.runUnits(id)).get(k.runSeq(id));
    if (withVersions) tx.get(k.runVersion(id)).hgetall(k.runUnitVersions(id));
    const res = await tx.exec();
    const values = (res ?? []).map(([err, v]) => {
      if (err) throw err;
      return v;
    });
    const header = values[0] as string | null;
    if (header === null) return null;
    const rawUnits = (values[1] ?? {}) as Record<string, string>;
    const run = JSON.parse(header) as RunRecord;
    const legacy = isLegacy(run, rawUnits);
    if (!legacy) {
      run.units = {};
      for (const unitId of run.unitOrder) {
        const raw = rawUnits[unitId];
        if (raw !== undefined) run.units[unitId] = JSON.parse(raw) as UnitRecord;
      }
    }
    const seq = values[2] as string | null;
    run.version = seq !== null ? Number(seq) : legacy ? run.version : 0;
    const unitVersions: Record<string, number> = {};
    for (const [u, v] of Object.entries((values[4] ?? {}) as Record<string, string>))
      unitVersions[u] = Number(v);
    // A unit never written has no version yet: the script reads it as 0.
    for (const unitId of legacy ? run.unitOrder : Object.keys(rawUnits)) unitVersions[unitId] ??= 0;
    return { run, rawUnits, headerVersion: Number(values[3] ?? 0), unitVersions, legacy };
  }

  /**
   * Moves the units of a run stored by an earlier Bascule (one document, units inside) into the
   * per-unit layout; true if there was anything to move. A run can outlive an upgrade: migrated on
   * Friday, failed back on Monday with the new version.
   */
  private async upgradeLegacy(id: string, header: RunRecord): Promise<boolean> {
    if (!isLegacy(header, {})) return false;
    await this.update(id, () => ({}));
    return true;
  }
}

function isLegacy(header: RunRecord, rawUnits: Record<string, string>): boolean {
  return Object.keys(rawUnits).length === 0 && Object.keys(header.units ?? {}).length > 0;
}

interface Snapshot {
  run: RunRecord;
  rawUnits: Record<string, string>;
  headerVersion: number;
  unitVersions: Record<string, number>;
  /** Stored by an earlier Bascule: one document with the units inside. */
  legacy: boolean;
}

/** The run's own fields: what the header document holds (the units are stored one by one). */
function headerOf(run: RunRecord): Omit<RunRecord, 'units' | 'version'> {
  const { units: _units, version: _version, ...header } = run;
  return header;
}

function requireRun(id: string, run: RunRecord | null): RunRecord {
  if (!run) {
    throw new BasculeError('RUN_NOT_FOUND', `no run ${id}`, {
      hint: 'Check the id with `bascule history`.',
    });
  }
  return run;
}

function contended(id: string): BasculeError {
  return new BasculeError('RUN_CONTENDED', `run ${id} is being updated by too many writers at once`, {
    retryable: true,
  });
}
