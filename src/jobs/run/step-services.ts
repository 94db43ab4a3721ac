import { buildReplicationAdapters, type ReplicationAdapters } from '../../adapters/replication/registry.js';
import type { VsphereClient } from '../../adapters/vsphere/index.js';
import type { Topology } from '../../config/schema.js';
import type { FencingVerdict } from '../../domain/fencing.js';
import type { Plan } from '../../domain/plan/types.js';
import type { MoveRequest } from '../../domain/preflight/types.js';
import { probeSource } from '../preflight/fencing-probes.js';
import { connectVsphere, gatherPreflight } from '../preflight/gather.js';
import type { StepContext, StepProgress } from '../steps/types.js';
import type { BaseStepContext } from './engine-types.js';
import { activeRuns } from './locks.js';
import type { RunStore } from './run-store.js';
import type { RunRecord } from './types.js';

// The real services behind the step executors in a worker process: one vSphere session and one
// set of replication adapters, opened on first use and shared by every step the worker runs.

export interface StepServices {
  makeContext(base: BaseStepContext): Promise<StepContext>;
  replan(run: RunRecord, approved: Plan): Promise<Plan>;
  /** The fencing guard's probes of a failover's source, read fresh. */
  probeFencing(run: RunRecord): Promise<FencingVerdict>;
  close(): Promise<void>;
}

export function moveRequestOf(plan: Plan): MoveRequest {
  const r = plan.inputs.request;
  return {
    kind: r.kind,
    from: r.from,
    to: r.to,
    datastores: r.datastores,
    ...(r.mode === 'cold' || r.mode === 'hot' || r.mode === 'zerto' ? { mode: r.mode } : {}),
    forceOff: r.forceOff,
  };
}

/** People read progress on a card and in Slack, which shows one update a second at best. */
const defaultProgressIntervalMs = 1_000;

/**
 * Passes a step's first progress report at once, then at most one per interval, the latest one
 * (a trailing report when the step is still going). Each report is a checkpointed write of the run
 * record, which every unit of the run writes: executors report per VM and per host, several a
 * second on a fast lab, and unthrottled those writes contend with the steps' own checkpoints.
 */
export function throttleProgress(
  forward: (p: StepProgress) => void,
  intervalMs: number,
): (p: StepProgress) => void {
  if (intervalMs <= 0) return forward;
  let last = Number.NEGATIVE_INFINITY;
  let pending: StepProgress | null = null;
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    timer = null;
    if (pending === null) return;
    const p = pending;
    pending = null;
    last = performance.now();
    forward(p);
  };
  return (p) => {
    pending = p;
    const wait = last + intervalMs - performance.now();
    if (wait <= 0) flush();
    else if (timer === null) {
      timer = setTimeout(flush, wait);
      // A report still waiting when the worker exits is not worth keeping the process for.
      timer.unref();
    }
  };
}

export function createStepServices(options: {
  topology: Topology;
  env: Readonly<Record<string, string | undefined>>;
  store: () => RunStore;
  /** Replication polling interval (the lab uses short ones). */
  pollIntervalMs?: number;
  /** Timeout of each fencing probe (default 5 s). */
  fencingTimeoutMs?: number;
  /** Shortest gap between two progress reports of one step written to the run (default 1 s). */
  progressIntervalMs?: number;
}): StepServices {
  let vsphere: Promise<VsphereClient> | null = null;
  let replication: ReplicationAdapters | null = null;
  const getVsphere = () => {
    vsphere ??= connectVsphere(options.topology, options.env).catch((err: unknown) => {
      vsphere = null;
      throw err;
    });
    return vsphere;
  };
  const getReplication = () => {
    replication ??= buildReplicationAdapters(
      options.topology,
      options.env,
      options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {},
    );
    return replication;
  };
  return {
    async makeContext(base) {
      const client = await getVsphere();
      return {
        ...base,
        // A signal of the step's own, aborted with the engine's: the step's concurrent waits (eight
        // guest shutdowns, a batch of power-ons) hang their abort listeners on it, not on the one
        // signal every unit job of the worker shares, and they go with the step.
        signal: AbortSignal.any([base.signal]),
        progress: throttleProgress(base.progress, options.progressIntervalMs ?? defaultProgressIntervalMs),
        topology: options.topology,
        vsphere: client,
        replication: getReplication(),
        inventory: () => client.inventory(),
      };
    },
    async replan(run, approved) {
      const result = await gatherPreflight(
        {
          topology: options.topology,
          env: options.env,
          activeRuns: async () => (await activeRuns(options.store())).filter((r) => r.runId !== run.id),
          vsphere: await getVsphere(),
          replication: getReplication(),
          fencing: false,
        },
        moveRequestOf(approved),
      );
      return result.plan;
    },
    async probeFencing(run) {
      const client = await getVsphere();
      return probeSource(
        {
          topology: options.topology,
          env: options.env,
          ...(options.fencingTimeoutMs ? { timeoutMs: options.fencingTimeoutMs } : {}),
        },
        { inventory: await client.inventory(), plan: await options.store().plan(run.id), from: run.from },
      );
    },
    async close() {
      const v = vsphere;
      vsphere = null;
      if (v) await (await v).session.close().catch(() => undefined);
      await replication?.close().catch(() => undefined);
      replication = null;
    },
  };
}
