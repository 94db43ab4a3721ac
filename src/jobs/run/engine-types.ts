import type { Redis } from 'ioredis';
import type { FencingVerdict } from '../../domain/fencing.js';
import type { Plan, PlanStep, StepKind } from '../../domain/plan/types.js';
import type { Logger } from '../../log.js';
import type { StepOutcome, StepProgress } from '../steps/types.js';
import type { RunRecord } from './types.js';

// What the engine needs from its caller. The engine is generic in the step context: the worker
// process builds the full StepContext (vSphere, adapters); engine tests pass a small world.

export interface BaseStepContext {
  runId: string;
  unitId: string;
  log: Logger;
  signal: AbortSignal;
  progress(p: StepProgress): void;
}

export type ExecutorsFor<C> = {
  [K in StepKind]: (step: Extract<PlanStep, { kind: K }>, ctx: C) => Promise<StepOutcome>;
};

export interface EngineTimings {
  /** BullMQ job lock; a SIGKILLed worker's job is given to another after about this long. */
  lockDurationMs: number;
  stalledIntervalMs: number;
  /** Lease of a unit's concurrency slot, renewed every third of it. */
  slotLeaseMs: number;
  /** How often a unit waiting for a slot asks again. */
  slotPollMs: number;
  /** Run lock expiry, renewed every third of it while the run is active. */
  runLockTtlMs: number;
}

export const DEFAULT_TIMINGS: EngineTimings = {
  lockDurationMs: 30_000,
  stalledIntervalMs: 15_000,
  slotLeaseMs: 60_000,
  slotPollMs: 1_000,
  runLockTtlMs: 15 * 60_000,
};

export interface EngineDeps<C extends BaseStepContext> {
  redis: Redis;
  /** Key prefix of both the run store and BullMQ (default `bascule`). */
  prefix?: string;
  executors: ExecutorsFor<C>;
  /** Adds the services executors need (vSphere, adapters, inventory) to the base context. */
  makeContext(base: BaseStepContext): Promise<C>;
  /**
   * Recomputes the plan from a fresh preflight before the first step; the run refuses to start
   * if its hash differs from the approved one. Omitted: no check (engine tests).
   */
  replan?: (run: RunRecord, approved: Plan) => Promise<Plan>;
  /**
   * Failover runs: probes the source site again just before a unit's first step that makes a
   * replica writable or starts VMs (fencing guard). Omitted: no probe (engine tests).
   */
  probeFencing?: (run: RunRecord) => Promise<FencingVerdict>;
  log: Logger;
  timings?: Partial<EngineTimings>;
}
