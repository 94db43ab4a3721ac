import type { z } from 'zod';
import type { LabModel } from '../../lab/model.js';
import { type Topology, topologySchema } from '../../src/config/schema.js';
import { crossCheck, protectedUnits } from '../../src/config/topology.js';
import type { Inventory } from '../../src/domain/inventory.js';
import type { MoveRequest, PreflightInput } from '../../src/domain/preflight/types.js';
import type { ProtectedUnit, ReplicationStatus } from '../../src/domain/replication.js';
import { labProtection, type ProtectionInput } from './inventory-from-model.js';

// Topologies, replication states and preflight inputs for unit tests. The topology goes through the
// real schema and cross-checks, so a fixture is always a sites.yaml Bascule would accept.

type TopologyInput = z.input<typeof topologySchema>;

const thumbprint = Array.from({ length: 32 }, () => 'AB').join(':');
const hostKey = `SHA256:${'A'.repeat(43)}`;

export const cold = (datastore: string, site = 'site5'): ProtectionInput => ({
  method: 'storwize',
  site,
  array: `v7k-${site}`,
  datastore,
  relationship: `rc_${datastore}`,
});

export const hot = (datastore: string, site = 'site5'): ProtectionInput => ({
  method: 'live-volume',
  site,
  array: 'dsm',
  datastore,
  liveVolume: `LV of ${datastore}`,
});

export const zerto = (vpg: string, datastores: string[], site = 'site5'): ProtectionInput => ({
  method: 'zerto',
  site,
  array: `zvm-${site}`,
  vpg,
  datastores,
});

export interface TopologyOptions {
  protection: ProtectionInput[];
  redundancy?: TopologyInput['redundancy'];
  capacity?: TopologyInput['capacity'];
  limits?: TopologyInput['limits'];
  bootOrder?: TopologyInput['bootOrder'];
  sites?: [string, string];
}

export function buildTopology(o: TopologyOptions): Topology {
  const sites = o.sites ?? ['site5', 'lognes'];
  const raw: TopologyInput = {
    sites: sites.map((name) => ({
      name,
      vcenter: {
        url: 'https://vcenter.test/sdk',
        userEnv: 'VC_USER',
        passwordEnv: 'VC_PASSWORD',
        thumbprint,
      },
      datacenter: 'Campus',
      clusters: [name],
    })),
    arrays: [
      ...sites.map((site, i) => ({
        name: `v7k-${site}`,
        type: 'storwize' as const,
        site,
        host: `v7k-${site}.test`,
        user: 'bascule',
        passwordEnv: 'V7K_PASSWORD',
        hostKeySha256: hostKey,
        partner: `v7k-${sites[1 - i]}`,
      })),
      {
        name: 'dsm',
        type: 'dell-dsm' as const,
        url: 'https://dsm.test/api',
        userEnv: 'DSM_USER',
        passwordEnv: 'DSM_PASSWORD',
        storageCenters: Object.fromEntries(sites.map((site) => [`SC-${site}`, site])),
      },
      ...sites.map((site) => ({
        name: `zvm-${site}`,
        type: 'zerto' as const,
        site,
        url: `https://zvm-${site}.test`,
        auth: 'session' as const,
        userEnv: 'ZERTO_USER',
        passwordEnv: 'ZERTO_PASSWORD',
      })),
    ],
    protection: o.protection,
    redundancy: o.redundancy,
    approvals: { approvers: ['U024BE7LH'] },
    capacity: o.capacity,
    limits: o.limits,
    bootOrder: o.bootOrder,
  };
  const topology = topologySchema.parse(raw);
  const problems = crossCheck(topology);
  if (problems.length > 0) throw new Error(`fixture topology is invalid: ${problems.join('; ')}`);
  return topology;
}

/** The topology the lab's generated sites.yaml describes: every replicated datastore protected. */
export function labTopology(
  model: LabModel,
  options: Omit<TopologyOptions, 'protection' | 'sites'> = {},
): Topology {
  const [a, b] = model.sites;
  if (a === undefined || b === undefined) throw new Error('the lab model has fewer than two sites');
  return buildTopology({ ...options, sites: [a, b], protection: labProtection(model) });
}

/** Every unit in sync, primary at home; `change` overrides some. */
export function replicationOf(
  units: readonly ProtectedUnit[],
  change: Record<string, Partial<ReplicationStatus>> = {},
): Map<string, ReplicationStatus> {
  return new Map(
    units.map((u) => [
      u.id,
      {
        unitId: u.id,
        primarySite: u.homeSite,
        health: 'in-sync',
        progressPercent: null,
        lagSeconds: u.method === 'zerto' ? 5 : null,
        raw: u.method === 'storwize' ? 'consistent_synchronized' : 'ok',
        ...change[u.id],
      },
    ]),
  );
}

export interface InputOptions extends Partial<Omit<PreflightInput, 'request'>> {
  inventory: Inventory;
  topology: Topology;
  request?: Partial<MoveRequest>;
}

/** A migrate from site5 to lognes a minute after the snapshot, with replication all in sync. */
export function preflightInput(o: InputOptions): PreflightInput {
  const units = o.units ?? protectedUnits(o.topology);
  return {
    ...o,
    units,
    replication: o.replication ?? replicationOf(units),
    request: { kind: 'migrate', from: 'site5', to: 'lognes', forceOff: true, ...o.request },
    activeRuns: o.activeRuns ?? [],
    now: o.now ?? new Date(Date.parse(o.inventory.takenAt) + 60_000),
  };
}
