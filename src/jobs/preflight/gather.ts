import { buildReplicationAdapters, type ReplicationAdapters } from '../../adapters/replication/registry.js';
import { tlsFromConfig, VsphereClient } from '../../adapters/vsphere/index.js';
import { secret } from '../../config/env.js';
import type { Topology } from '../../config/schema.js';
import { estimatesOf, protectedUnits } from '../../config/topology.js';
import { BasculeError, errorMessage } from '../../domain/errors.js';
import { fencingFinding } from '../../domain/fencing.js';
import type { Inventory } from '../../domain/inventory.js';
import { sortFindings } from '../../domain/preflight/finding.js';
import { runPreflight } from '../../domain/preflight/run-preflight.js';
import type {
  ActiveRun,
  MoveRequest,
  PreflightOptions,
  PreflightResult,
} from '../../domain/preflight/types.js';
import type { ReplicationStatus } from '../../domain/replication.js';
import type { Logger } from '../../log.js';
import { probeSource } from './fencing-probes.js';

// Gathers what a preflight needs from the real world (vCenter inventory, replication status of
// every unit, the runs still active) and runs it. Used by the CLI, the preflight queue and the
// run engine's replan check before the first step.

export interface GatherDeps {
  topology: Topology;
  env: Readonly<Record<string, string | undefined>>;
  /** Runs still active (from the run store), for the concurrency rule. */
  activeRuns(): Promise<ActiveRun[]>;
  log?: Logger;
  /** Reuse a connected client / built adapters (the worker's); else opened and closed here. */
  vsphere?: VsphereClient;
  /** An inventory the caller has just read (it needs it too): not read a second time. */
  inventory?: Inventory;
  replication?: ReplicationAdapters;
  options?: PreflightOptions;
  now?: () => Date;
  /**
   * Failover: probe the source site (fencing guard). Default true; the engine's replan passes
   * false, it probes again itself just before the first fenced step.
   */
  fencing?: boolean;
  /** Timeout of each fencing probe. */
  fencingTimeoutMs?: number;
}

/** The one vCenter both sites use (a stretched vCenter); two vCenters are not supported yet. */
export function vcenterOf(topology: Topology): Topology['sites'][number]['vcenter'] {
  const urls = [...new Set(topology.sites.map((s) => s.vcenter.url))];
  const first = topology.sites[0];
  if (!first) throw new BasculeError('CONFIG_NO_SITES', 'sites.yaml names no site');
  if (urls.length > 1) {
    throw new BasculeError(
      'PREFLIGHT_MULTIPLE_VCENTERS',
      `the sites use ${urls.length} vCenters (${urls.join(', ')})`,
      {
        hint: 'Bascule reads one inventory; point every site at the vCenter that manages both rooms.',
      },
    );
  }
  return first.vcenter;
}

/**
 * Sockets to vCenter for a worker. Host storage calls (RescanAllHba, ResolveMultipleUnresolved-
 * VmfsVolumes, UnmountVmfsVolume) are synchronous: each holds its socket for as long as the host
 * takes, seconds to minutes. A run's units rescan and mount on every destination host at once, so
 * a pool smaller than units × hosts queues those calls one wave after another, and every read of
 * every other unit waits behind them. Sixteen per unit covers a cluster of sixteen hosts or the
 * eight shutdowns/registrations a step keeps going, plus their polls.
 */
export function vsphereConnections(topology: Topology): number {
  return Math.min(256, Math.max(16, topology.limits.concurrentDatastores * 16));
}

export async function connectVsphere(
  topology: Topology,
  env: Readonly<Record<string, string | undefined>>,
): Promise<VsphereClient> {
  const vc = vcenterOf(topology);
  return VsphereClient.connect({
    url: vc.url,
    connections: vsphereConnections(topology),
    tls: await tlsFromConfig(vc),
    userName: secret({ ...env }, vc.userEnv),
    password: secret({ ...env }, vc.passwordEnv),
  });
}

export async function gatherPreflight(deps: GatherDeps, request: MoveRequest): Promise<PreflightResult> {
  const vsphere = deps.vsphere ?? (await connectVsphere(deps.topology, deps.env));
  const replication = deps.replication ?? buildReplicationAdapters(deps.topology, deps.env);
  try {
    const units = protectedUnits(deps.topology);
    const [inventory, statuses, activeRuns] = await Promise.all([
      deps.inventory ?? vsphere.inventory(),
      Promise.allSettled(units.map((u) => replication.forUnit(u).status(u))),
      deps.activeRuns(),
    ]);
    const status = new Map<string, ReplicationStatus>();
    statuses.forEach((s, i) => {
      const unit = units[i];
      if (!unit) return;
      // A status that cannot be read is left out: preflight reports REPLICATION_STATUS_UNKNOWN.
      if (s.status === 'fulfilled') status.set(unit.id, s.value);
      else deps.log?.warn({ unit: unit.id, err: errorMessage(s.reason) }, 'replication status unreadable');
    });
    const result = runPreflight({
      inventory,
      topology: deps.topology,
      units,
      replication: status,
      request,
      activeRuns,
      now: deps.now?.() ?? new Date(),
      // sites.yaml's estimates, under any the caller gives.
      options: { ...deps.options, estimates: { ...estimatesOf(deps.topology), ...deps.options?.estimates } },
    });
    if (request.kind !== 'failover' || deps.fencing === false) return result;
    const fencing = await probeSource(
      {
        topology: deps.topology,
        env: deps.env,
        ...(deps.fencingTimeoutMs ? { timeoutMs: deps.fencingTimeoutMs } : {}),
      },
      { inventory, plan: result.plan, from: request.from },
    );
    deps.log?.info({ verdict: fencing.verdict, probes: fencing.probes.length }, 'fencing probed');
    const findings = sortFindings([
      ...result.findings,
      fencingFinding(fencing, request.from, request.overrideFencing ?? false),
    ]);
    return { ...result, findings, blocked: findings.some((f) => f.severity === 'block'), fencing };
  } finally {
    if (!deps.replication) await replication.close().catch(() => undefined);
    if (!deps.vsphere) await vsphere.session.close().catch(() => undefined);
  }
}
