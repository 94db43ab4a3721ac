import type { ReplicationAdapters } from '../../adapters/replication/registry.js';
import type { VsphereClient } from '../../adapters/vsphere/index.js';
import type { Topology } from '../../config/schema.js';
import type { Inventory } from '../../domain/inventory.js';
import type { PlanStep, StepKind } from '../../domain/plan/types.js';
import type { Logger } from '../../log.js';

// The contract between the run engine (src/jobs/run/) and the step executors (this folder).
// An executor performs one plan step against real infrastructure. It must be safe to call again
// after a crash at any point: it reads the real state first, does only what is still missing,
// and reads the state back before returning. The engine checkpoints the step as `running` before
// calling it and `done` after it returns, so a resumed run calls the same executor again.

export interface StepProgress {
  /** 0–100 for the step, when known. */
  percent: number | null;
  /** Operator-facing text: "shutting down 4/9 VMs", "switching rc_san_site5_prod_01". */
  message: string;
}

export interface StepContext {
  runId: string;
  /** The UnitPlan id the step belongs to. */
  unitId: string;
  topology: Topology;
  vsphere: VsphereClient;
  replication: ReplicationAdapters;
  log: Logger;
  /** Aborted when the worker shuts down or the run is cancelled hard; executors stop between actions. */
  signal: AbortSignal;
  progress(p: StepProgress): void;
  /** A fresh inventory snapshot (executors use it to find VMs by name after re-registration). */
  inventory(): Promise<Inventory>;
}

export interface StepOutcome {
  /** One line for the run report: "9 VMs shut down (1 powered off after timeout)". */
  summary: string;
  /** Facts for the report and later steps (e.g. new VM ids after register). JSON-serialisable. */
  details?: Record<string, unknown>;
}

export type StepExecutor<K extends StepKind = StepKind> = (
  step: Extract<PlanStep, { kind: K }>,
  ctx: StepContext,
) => Promise<StepOutcome>;

export type StepExecutors = { [K in StepKind]: StepExecutor<K> };
