import { readFileSync } from 'node:fs';
import { StorwizeConnection } from '../../adapters/storwize/connection.js';
import { isStorwizeError } from '../../adapters/storwize/errors.js';
import { storwizeSecrets } from '../../adapters/storwize/index.js';
import { createTransport } from '../../adapters/zerto/client.js';
import { ZertoError } from '../../adapters/zerto/errors.js';
import type { ArrayConfig, Topology } from '../../config/schema.js';
import { protectedUnits } from '../../config/topology.js';
import { errorMessage } from '../../domain/errors.js';
import {
  type FencingProbe,
  type FencingVerdict,
  fencingVerdict,
  vcenterProbes,
} from '../../domain/fencing.js';
import { type Inventory, indexInventory } from '../../domain/inventory.js';
import type { Plan } from '../../domain/plan/types.js';
import { buildSiteMap } from '../../domain/site-map.js';
import { createDellScAdapterProbe } from './fencing-dsm.js';

// The probes of the failover fencing guard: is anything at the source site still alive? vCenter's
// view (read from the inventory the preflight already has) and one cheap read of each array or
// replication manager at the source that the plan's units use, all at once with a short timeout,
// so that a dark room costs seconds, not the minutes of the adapters' own timeouts. A probe that
// gets any answer (even a refused login) counts as "answers": something is alive there.

export const DEFAULT_PROBE_TIMEOUT_MS = 5_000;

export interface FencingProbeDeps {
  topology: Topology;
  env: Readonly<Record<string, string | undefined>>;
  timeoutMs?: number;
}

export async function probeSource(
  deps: FencingProbeDeps,
  input: { inventory: Inventory; plan: Plan; from: string },
): Promise<FencingVerdict> {
  const idx = indexInventory(input.inventory);
  const sites = buildSiteMap(deps.topology, idx);
  const sourceHosts = new Set((sites.hostsOfSite.get(input.from) ?? []).map((h) => h.id));
  const names = new Set(input.plan.inputs.units.flatMap((u) => u.vms.map((v) => v.name)));
  const vmIds = new Set(input.inventory.vms.filter((v) => names.has(v.name)).map((v) => v.id));
  const timeoutMs = deps.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const arrays = sourceArrays(deps.topology, input.plan, input.from);
  // Arrays first: an array that answers is the surest sign of a room still up, and lists are cut.
  const probes: FencingProbe[] = await Promise.all(
    arrays.map((a) => probeArray(deps, a, input.from, timeoutMs)),
  );
  probes.push(...vcenterProbes(input.inventory, sourceHosts, vmIds));
  return fencingVerdict(probes);
}

/** The arrays and managers at `from` that the plan's units replicate with. */
export function sourceArrays(topology: Topology, plan: Plan, from: string): ArrayConfig[] {
  const inPlan = new Set(plan.groups.flatMap((g) => g.units));
  const byName = new Map(topology.arrays.map((a) => [a.name, a]));
  const out = new Map<string, ArrayConfig>();
  for (const unit of protectedUnits(topology)) {
    if (!inPlan.has(unit.id)) continue;
    const home = byName.get(unit.array);
    if (!home) continue;
    if (home.type === 'storwize') {
      const partner = home.partner ? byName.get(home.partner) : undefined;
      const candidates = [
        home,
        partner,
        ...topology.arrays.filter((a) => a.type === 'storwize' && a.partner === home.name),
      ];
      for (const a of candidates) if (a && a.type === 'storwize' && a.site === from) out.set(a.name, a);
    } else if (home.type === 'dell-dsm') {
      out.set(home.name, home);
    } else {
      // Zerto: the ZVM of the source site, if one is configured; it is not the unit's own array
      // when the VPG is driven from the recovery site's ZVM.
      for (const a of topology.arrays) if (a.type === 'zerto' && a.site === from) out.set(a.name, a);
    }
  }
  return [...out.values()];
}

function probeArray(
  deps: FencingProbeDeps,
  array: ArrayConfig,
  from: string,
  timeoutMs: number,
): Promise<FencingProbe> {
  const run = async (): Promise<FencingProbe> => {
    switch (array.type) {
      case 'storwize':
        return probeStorwize(deps, array, timeoutMs);
      case 'dell-dsm':
        return createDellScAdapterProbe(deps, array, from, timeoutMs);
      case 'zerto':
        return probeZerto(array, timeoutMs);
    }
  };
  return run().catch((err: unknown) => ({
    target: `${array.type} ${array.name}`,
    outcome: 'unknown',
    detail: errorMessage(err),
  }));
}

async function probeStorwize(
  deps: FencingProbeDeps,
  array: Extract<ArrayConfig, { type: 'storwize' }>,
  timeoutMs: number,
): Promise<FencingProbe> {
  const target = `storwize ${array.name}`;
  let secret: ReturnType<typeof storwizeSecrets>[string] | undefined;
  try {
    secret = storwizeSecrets([array], deps.env)[array.name];
  } catch (err) {
    return { target, outcome: 'unknown', detail: errorMessage(err) };
  }
  if (!secret) return { target, outcome: 'unknown', detail: 'no login secret' };
  const conn = new StorwizeConnection({
    array: array.name,
    site: array.site,
    host: array.host,
    port: array.port,
    user: array.user,
    hostKeySha256: array.hostKeySha256,
    ...secret,
    maxConcurrentCommands: 1,
    connectTimeoutMs: timeoutMs,
    commandTimeoutMs: timeoutMs,
    keepaliveIntervalMs: timeoutMs,
  });
  try {
    // The cheapest read the CLI has: the system's own identity.
    await conn.run(['svcinfo', 'lssystem', '-delim', ':'], 'read', AbortSignal.timeout(timeoutMs * 2));
    return { target, outcome: 'answers', detail: 'lssystem answered' };
  } catch (err) {
    if (
      isStorwizeError(
        err,
        'STORWIZE_UNREACHABLE',
        'STORWIZE_TIMEOUT',
        'STORWIZE_CONNECTION_LOST',
        'STORWIZE_ABORTED',
      )
    ) {
      return { target, outcome: 'silent', detail: errorMessage(err) };
    }
    if (isStorwizeError(err, 'STORWIZE_CONFIG'))
      return { target, outcome: 'unknown', detail: errorMessage(err) };
    // Refused login, host key, a CLI error: something at the source spoke.
    return { target, outcome: 'answers', detail: errorMessage(err) };
  } finally {
    await conn.close().catch(() => undefined);
  }
}

async function probeZerto(
  array: Extract<ArrayConfig, { type: 'zerto' }>,
  timeoutMs: number,
): Promise<FencingProbe> {
  const target = `zerto ${array.name}`;
  const ca = array.caFile ? readFileSync(array.caFile, 'utf8') : undefined;
  const transport = createTransport(ca, timeoutMs);
  try {
    // Any HTTP answer, 401 included, means the ZVM is up; no login is needed to know that.
    const r = await transport.send(
      'GET',
      `${array.url.replace(/\/+$/, '')}/v1/localsite`,
      { accept: 'application/json' },
      undefined,
      AbortSignal.timeout(timeoutMs),
    );
    return { target, outcome: 'answers', detail: `HTTP ${r.status}` };
  } catch (err) {
    if (err instanceof ZertoError && err.code === 'ZERTO_TLS')
      return { target, outcome: 'answers', detail: errorMessage(err) };
    return { target, outcome: 'silent', detail: errorMessage(err) };
  } finally {
    await transport.close().catch(() => undefined);
  }
}
