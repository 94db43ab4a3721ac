import { type Inventory, type InventoryVm, indexInventory } from '../inventory.js';
import { buildSiteMap, hostUsable } from '../site-map.js';
import { buildUnitIndex, stopGroupRoots } from '../units.js';
import { assemblePlan, placeMovingVms } from './assemble-plan.js';
import { assessCapacity } from './check-capacity.js';
import { checkConcurrency } from './check-concurrency.js';
import { checkCoverage } from './check-coverage.js';
import { checkGuests } from './check-guests.js';
import { checkHosts } from './check-hosts.js';
import { checkRedundancy } from './check-redundancy.js';
import { checkReplication } from './check-replication.js';
import type { CheckContext } from './context.js';
import { finding, sortFindings } from './finding.js';
import { buildRedundancyGroups } from './redundancy-groups.js';
import { buildScope, type MoveScope } from './scope.js';
import type { Finding, PreflightInput, PreflightResult } from './types.js';

// The preflight engine: a pure function of the inventory snapshot, the topology, the replication
// status and the request. It indexes everything once, then each rule reads the shared context; no
// rule scans VMs against VMs, so 5,000 VMs cost milliseconds.

const defaultMaxInventoryAgeMs = 15 * 60_000;

export function runPreflight(input: PreflightInput): PreflightResult {
  const idx = indexInventory(input.inventory);
  const sites = buildSiteMap(input.topology, idx);
  const unitIdx = buildUnitIndex(input.units, idx);
  const requestProblems = checkRequest(input);
  const scope: MoveScope = requestProblems.length > 0 ? emptyScope() : buildScope(input, idx, unitIdx, sites);
  const destinationHosts = (sites.hostsOfSite.get(input.request.to) ?? []).filter(hostUsable);
  const runningOn = runningByHost(input.inventory);
  const redundancy = buildRedundancyGroups(input.topology, input.inventory, idx);
  const stopRoot = stopGroupRoots(input.units, idx, unitIdx);
  // Thousands of (host, datastore) pairs that only a CD-ROM on an ISO needs: worked out on first use.
  let destinationMounts: Set<string> | undefined;
  const ctx: CheckContext = {
    input,
    idx,
    sites,
    unitIdx,
    scope,
    stopRoot,
    redundancy,
    destinationHosts,
    get destinationMounts(): Set<string> {
      destinationMounts ??= new Set(destinationHosts.flatMap((h) => h.datastores));
      return destinationMounts;
    },
    placement: new Map(),
    runningOn,
  };
  ctx.placement = placeMovingVms(ctx);

  const capacity = assessCapacity(ctx);
  const findings: Finding[] = [
    ...requestProblems,
    ...scope.findings,
    ...inventoryAge(input),
    ...unknownMembers(ctx),
  ];
  if (requestProblems.length === 0) {
    findings.push(
      ...checkRedundancy(ctx),
      ...capacity.findings,
      ...checkReplication(ctx),
      ...checkCoverage(ctx),
      ...checkHosts(ctx),
      ...checkGuests(ctx),
      ...checkConcurrency(ctx),
    );
  }
  sortFindings(findings);
  return {
    findings,
    plan: assemblePlan(ctx),
    capacity: capacity.report,
    blocked: findings.some((f) => f.severity === 'block'),
  };
}

function emptyScope(): MoveScope {
  return {
    selected: [],
    moving: [],
    movingIds: new Set(),
    movingVms: [],
    movingOwners: [],
    owner: new Map(),
    byOwner: new Map(),
    atDestination: [],
    findings: [],
  };
}

function checkRequest(input: PreflightInput): Finding[] {
  const { from, to } = input.request;
  const names = input.topology.sites.map((s) => s.name);
  const problems: string[] = [];
  for (const site of [from, to]) if (!names.includes(site)) problems.push(`unknown site "${site}"`);
  if (from === to) problems.push(`from and to are both "${from}"`);
  if (problems.length === 0) return [];
  return [
    finding(
      'REQUEST_INVALID',
      'block',
      `The request cannot be planned: ${problems.join('; ')}.`,
      {},
      `Name two different sites among ${names.join(', ')}.`,
    ),
  ];
}

function inventoryAge(input: PreflightInput): Finding[] {
  const taken = Date.parse(input.inventory.takenAt);
  const max = input.options?.maxInventoryAgeMs ?? defaultMaxInventoryAgeMs;
  const age = input.now.getTime() - taken;
  if (Number.isFinite(taken) && age <= max) return [];
  const what = Number.isFinite(taken)
    ? `is ${Math.round(age / 60_000)} min old`
    : `has no valid time (${input.inventory.takenAt})`;
  return [
    finding(
      'INVENTORY_STALE',
      'warn',
      `The inventory snapshot ${what}: the findings may not match vCenter now.`,
      {},
      'Run preflight again to read a fresh inventory.',
    ),
  ];
}

function unknownMembers(ctx: CheckContext): Finding[] {
  return ctx.redundancy.unknownVms.map((u) =>
    finding(
      'REDUNDANCY_GROUP_VM_UNKNOWN',
      'info',
      `Redundancy group ${u.group} names ${u.vm}, which is not in the inventory.`,
      { vms: [u.vm] },
      `Fix or remove ${u.vm} in redundancy.groups of sites.yaml.`,
    ),
  );
}

function runningByHost(inventory: Inventory): Map<string, InventoryVm[]> {
  const out = new Map<string, InventoryVm[]>();
  for (let i = 0; i < inventory.vms.length; i++) {
    const vm = inventory.vms[i]!;
    if (vm.powerState !== 'poweredOn' || vm.host === null) continue;
    const list = out.get(vm.host);
    if (list) list.push(vm);
    else out.set(vm.host, [vm]);
  }
  return out;
}
