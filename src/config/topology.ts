import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { durationMs } from '../domain/duration.js';
import { ConfigError } from '../domain/errors.js';
import type { StepEstimates } from '../domain/plan/estimates.js';
import type { ProtectedUnit } from '../domain/replication.js';
import { type ProtectionConfig, type Topology, topologySchema } from './schema.js';

// Pure: text in, typed topology (or a ConfigError listing every problem) out. Reading the file
// and the environment happens in load.ts, so tests can feed variants without touching the disk.

function keyPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return `missing; expected ${issue.expected}`;
  }
  return issue.message;
}

export function parseTopology(text: string, file: string): Topology {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => `${file}: ${e.message.split('\n')[0]}`);
    throw new ConfigError(`${file} is not valid YAML`, problems);
  }
  const parsed = topologySchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${file}: ${keyPath(i.path)}: ${describeIssue(i)}`);
    throw new ConfigError(`${file} has ${problems.length} problem(s): ${problems[0]}`, problems);
  }
  const problems = crossCheck(parsed.data).map((p) => `${file}: ${p}`);
  if (problems.length > 0) {
    throw new ConfigError(`${file} has ${problems.length} problem(s): ${problems[0]}`, problems);
  }
  return parsed.data;
}

function duplicates(values: string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) dup.add(v);
    seen.add(v);
  }
  return [...dup];
}

/** Rules that span several keys, which a schema of single values cannot express. */
export function crossCheck(t: Topology): string[] {
  const problems: string[] = [];
  const siteNames = t.sites.map((s) => s.name);
  for (const d of duplicates(siteNames)) problems.push(`sites: site "${d}" is defined twice`);
  if (t.sites.length !== 2) problems.push(`sites: exactly two sites are supported, found ${t.sites.length}`);
  // One vCenter over a stretched layer-2 network, as in the field report: a cold move registers
  // the VMs in the same inventory on the other side. Cross-vCenter moves are not supported.
  const vcenters = new Set(t.sites.map((s) => new URL(s.vcenter.url).host));
  if (vcenters.size > 1) {
    problems.push(
      `sites[1].vcenter.url: both sites must use the same vCenter (found ${[...vcenters].join(' and ')}); cross-vCenter moves are not supported`,
    );
  }

  const arrays = new Map(t.arrays.map((a) => [a.name, a]));
  for (const d of duplicates(t.arrays.map((a) => a.name)))
    problems.push(`arrays: array "${d}" is defined twice`);
  t.arrays.forEach((a, i) => {
    const at = `arrays[${i}]`;
    if (a.type !== 'dell-dsm' && !siteNames.includes(a.site)) {
      problems.push(`${at}.site: unknown site "${a.site}"; expected one of ${siteNames.join(', ')}`);
    }
    if (a.type === 'storwize') {
      if (!a.passwordEnv && !a.privateKeyEnv) {
        problems.push(`${at}: set passwordEnv or privateKeyEnv for SSH login`);
      }
      if (a.partner !== undefined) {
        const p = arrays.get(a.partner);
        if (p?.type !== 'storwize') {
          problems.push(`${at}.partner: "${a.partner}" is not a storwize array in arrays`);
        } else if (p.site === a.site) {
          problems.push(
            `${at}.partner: "${a.partner}" is on the same site "${a.site}"; expected the other site`,
          );
        }
      }
    }
    if (a.type === 'dell-dsm') {
      for (const [sc, scSite] of Object.entries(a.storageCenters)) {
        if (!siteNames.includes(scSite)) {
          problems.push(
            `${at}.storageCenters.${sc}: unknown site "${scSite}"; expected one of ${siteNames.join(', ')}`,
          );
        }
      }
      const used = t.protection.some((p) => p.array === a.name && p.method === 'live-volume');
      const mapped = new Set(Object.values(a.storageCenters));
      if (used && !siteNames.every((s) => mapped.has(s))) {
        problems.push(`${at}.storageCenters: map the Storage Center of each site (name or serial → site)`);
      }
    }
    if (a.type === 'zerto') {
      const hasUser = a.userEnv !== undefined && a.passwordEnv !== undefined;
      const hasClient = a.clientIdEnv !== undefined && a.clientSecretEnv !== undefined;
      if (a.auth === 'session' && !hasUser)
        problems.push(`${at}: auth "session" needs userEnv and passwordEnv`);
      if (a.auth === 'keycloak' && !hasUser && !hasClient) {
        problems.push(
          `${at}: auth "keycloak" needs clientIdEnv and clientSecretEnv, or userEnv and passwordEnv`,
        );
      }
    }
  });

  const expectedArrayType = { storwize: 'storwize', 'live-volume': 'dell-dsm', zerto: 'zerto' } as const;
  const unitIds: string[] = [];
  const protectedDatastores: string[] = [];
  t.protection.forEach((p, i) => {
    const at = `protection[${i}]`;
    if (!siteNames.includes(p.site)) {
      problems.push(`${at}.site: unknown site "${p.site}"; expected one of ${siteNames.join(', ')}`);
    }
    const a = arrays.get(p.array);
    if (!a) {
      problems.push(
        `${at}.array: unknown array "${p.array}"; expected one of ${[...arrays.keys()].join(', ') || '(none defined)'}`,
      );
    } else if (a.type !== expectedArrayType[p.method]) {
      problems.push(
        `${at}.array: "${p.array}" is a ${a.type} array; method "${p.method}" needs a ${expectedArrayType[p.method]} array`,
      );
    }
    if (p.method === 'storwize') {
      const both = p.relationship !== undefined && p.consistencyGroup !== undefined;
      const none = p.relationship === undefined && p.consistencyGroup === undefined;
      if (both || none) problems.push(`${at}: set exactly one of relationship or consistencyGroup`);
    }
    unitIds.push(unitId(p));
    protectedDatastores.push(...protectionDatastores(p));
  });
  for (const d of duplicates(unitIds)) problems.push(`protection: "${d}" is protected twice`);
  for (const d of duplicates(protectedDatastores))
    problems.push(`protection: datastore "${d}" appears in two protection entries`);

  t.redundancy.groups.forEach((g, i) => {
    for (const d of duplicates(g.vms)) problems.push(`redundancy.groups[${i}].vms: "${d}" is listed twice`);
  });
  if (t.approvals.approvers.length === 0 && t.approvals.userGroup === undefined) {
    problems.push('approvals: set approvers or userGroup: somebody other than the requester must approve');
  } else if (t.approvals.userGroup === undefined && t.approvals.approvers.length < t.approvals.required) {
    problems.push(
      `approvals.required: ${t.approvals.required} approvals needed but only ${t.approvals.approvers.length} approver(s) listed`,
    );
  }
  t.bootOrder.forEach((g, i) => {
    if (g.pattern !== undefined) {
      try {
        new RegExp(g.pattern);
      } catch {
        problems.push(`bootOrder[${i}].pattern: not a valid regular expression`);
      }
    }
  });
  return problems;
}

export function unitId(p: ProtectionConfig): string {
  return p.method === 'zerto' ? p.vpg : p.datastore;
}

function protectionDatastores(p: ProtectionConfig): string[] {
  return p.method === 'zerto' ? p.datastores : [p.datastore];
}

function unitRef(p: ProtectionConfig): ProtectedUnit['ref'] {
  if (p.method === 'zerto') return { kind: 'vpg', name: p.vpg };
  if (p.method === 'live-volume') return { kind: 'live-volume', name: p.liveVolume };
  return p.consistencyGroup
    ? { kind: 'consistency-group', name: p.consistencyGroup }
    : { kind: 'relationship', name: p.relationship ?? '' };
}

/** The protected units of the topology, in configuration order. */
export function protectedUnits(t: Topology): ProtectedUnit[] {
  return t.protection.map((p) => {
    const peer = t.sites.find((s) => s.name !== p.site);
    return {
      id: unitId(p),
      method: p.method,
      homeSite: p.site,
      peerSite: peer ? peer.name : p.site,
      datastores: protectionDatastores(p),
      array: p.array,
      ref: unitRef(p),
    };
  });
}

export { durationMs } from '../domain/duration.js';

/** sites.yaml `estimates` key → the planner's estimate it sets (the compiler checks both sides). */
const estimateKeys: Record<keyof Topology['estimates'], keyof StepEstimates> = {
  shutdownVm: 'shutdownVmMs',
  powerOffVm: 'powerOffVmMs',
  unregisterVm: 'unregisterVmMs',
  unmountPerHost: 'unmountPerHostMs',
  switchReplication: 'switchReplicationMs',
  makeWritable: 'makeWritableMs',
  rescanHost: 'rescanHostMs',
  mountPerHost: 'mountPerHostMs',
  registerVm: 'registerVmMs',
  powerOnGroup: 'powerOnGroupMs',
  toolsWait: 'toolsWaitMs',
  vmotionVm: 'vmotionVmMs',
  swapRoles: 'swapRolesMs',
  zertoMove: 'zertoMoveMs',
  zertoFailover: 'zertoFailoverMs',
  zertoCommit: 'zertoCommitMs',
  resyncUnit: 'resyncUnitMs',
  verify: 'verifyMs',
};

/** The step estimates sites.yaml sets, in ms, for the planner (the others keep their defaults). */
export function estimatesOf(topology: Topology): Partial<StepEstimates> {
  const out: Partial<StepEstimates> = {};
  for (const [key, value] of Object.entries(topology.estimates) as Array<
    [keyof Topology['estimates'], string | undefined]
  >) {
    if (value !== undefined) out[estimateKeys[key]] = durationMs(value);
  }
  return out;
}
