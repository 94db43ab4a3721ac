import { buildReplicationAdapters, type ReplicationAdapters } from '../../adapters/replication/registry.js';
import type { VsphereClient } from '../../adapters/vsphere/index.js';
import type { Topology } from '../../config/schema.js';
import type { Plan } from '../../domain/plan/types.js';
import type { MoveRequest } from '../../domain/preflight/types.js';
import { connectVsphere, gatherPreflight } from '../preflight/gather.js';
import type { StepContext } from '../steps/types.js';
import type { BaseStepContext } from './engine-types.js';
import { activeRuns } from './locks.js';
import type { RunStore } from './run-store.js';
import type { RunRecord } from './types.js';

// The real services behind the step executors in a worker process: one vSphere session and one
// set of replication adapters, opened on first use and shared by every step the worker runs.

export interface StepServices {
  makeContext(base: BaseStepContext): Promise<StepContext>;
  replan(run: RunRecord, approved: Plan): Promise<Plan>;
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

export function createStepServices(options: {
  topology: Topology;
  env: Readonly<Record<string, string | undefined>>;
  store: () => RunStore;
  /** Replication polling interval (the lab uses short ones). */
  pollIntervalMs?: number;
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
        },
        moveRequestOf(approved),
      );
      return result.plan;
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
