import type { Logger } from '../../log.js';
import type { BaseStepContext, EngineDeps, EngineTimings } from './engine-types.js';
import type { RunStore } from './run-store.js';

/** What the job processors share inside one engine. */
export interface EngineEnv<C extends BaseStepContext> {
  deps: EngineDeps<C>;
  store: RunStore;
  timings: EngineTimings;
  /** Aborted when the engine closes. */
  signal: AbortSignal;
  log: Logger;
}

export interface RunJobData {
  runId: string;
  generation: number;
  /** The parent job of a flow: it runs when every unit job of the generation has ended. */
  finalize?: boolean;
}

export interface UnitJobData {
  runId: string;
  unitId: string;
  generation: number;
}

/** BullMQ job ids may not contain ':'; unit ids are datastore or VPG names. */
export function jobIdPart(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, '_');
}

export const runJobId = (runId: string, generation: number) => `${runId}-run-${generation}`;
export const finalizeJobId = (runId: string, generation: number) => `${runId}-fin-${generation}`;
export const unitJobId = (runId: string, unitId: string, generation: number) =>
  `${runId}-u-${jobIdPart(unitId)}-${generation}`;

/** Ended jobs are kept a week (a month when failed) for inspection, then BullMQ removes them. */
export const JOB_RETENTION = {
  removeOnComplete: { age: 7 * 24 * 3600 },
  removeOnFail: { age: 30 * 24 * 3600 },
} as const;
