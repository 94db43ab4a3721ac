import type { InventoryHost } from '../inventory.js';
import { buildPlan } from '../plan/build-plan.js';
import { resolveEstimates } from '../plan/estimates.js';
import { placeVms } from '../plan/placement.js';
import { planInputs } from '../plan/plan-inputs.js';
import type { PlanGroupScope } from '../plan/steps.js';
import { diskDatastoreIds } from '../units.js';
import type { CheckContext } from './context.js';
import { getOrInit } from './maps.js';
import type { PreflightResult } from './types.js';

// From the preflight's view of the move to the plan's input: where each VM goes, which units stop
// together, and which groups must not run side by side because they hold redundant peers.

export function placeMovingVms(ctx: CheckContext): Map<string, InventoryHost | null> {
  const liveVolumeHosts = new Map<string, Set<string>>();
  for (const h of ctx.destinationHosts) {
    for (const dsId of h.datastores) {
      const hosts = liveVolumeHosts.get(dsId);
      if (hosts) hosts.add(h.id);
      else liveVolumeHosts.set(dsId, new Set([h.id]));
    }
  }
  const allowedBySet = new Map<string, Set<string> | null>();
  return placeVms({
    vms: ctx.scope.movingVms,
    hosts: ctx.destinationHosts,
    running: ctx.destinationHosts.flatMap((h) => ctx.runningOn.get(h.id) ?? []),
    groupsOfVm: ctx.redundancy.groupsOfVm,
    // vMotion keeps the storage: a Live Volume VM may only go where its datastores are mounted.
    allowedHosts: (vm) => {
      const owner = ctx.scope.owner.get(vm.id);
      if (owner === undefined || ctx.unitIdx.byId.get(owner)?.method !== 'live-volume') return null;
      const ids = diskDatastoreIds(vm, ctx.idx);
      // Hundreds of VMs share a datastore: the hosts mounting it are worked out once per set.
      const key = ids.join('\u0000');
      const known = allowedBySet.get(key);
      if (known !== undefined) return known;
      const sets = ids.map((d) => liveVolumeHosts.get(d) ?? new Set<string>());
      const [first, ...rest] = sets;
      const allowed = first ? new Set([...first].filter((h) => rest.every((s) => s.has(h)))) : null;
      allowedBySet.set(key, allowed);
      return allowed;
    },
  });
}

export function assemblePlan(ctx: CheckContext): PreflightResult['plan'] {
  const { input, idx, scope } = ctx;
  const groups = planGroups(ctx);
  const datacenter = input.topology.sites.find((s) => s.name === input.request.to)?.datacenter;
  const folder = input.inventory.datacenters.find((d) => d.name === datacenter)?.vmFolder ?? null;
  return buildPlan({
    request: input.request,
    topology: input.topology,
    idx,
    destinationHosts: ctx.destinationHosts,
    folder,
    groups,
    placement: ctx.placement,
    ownerOf: (vm) => scope.owner.get(vm.id),
    inputs: planInputs(
      input.request,
      scope.selected.map((s) => ({ unit: s.unit, status: s.status, vms: s.vms })),
      idx,
    ),
    skipped: scope.selected
      .filter((s) => !s.moving)
      .map((s) => ({ unit: s.unit.id, reason: `already primary at ${input.request.to}` })),
    estimates: resolveEstimates(input.options?.estimates),
    now: input.now,
  });
}

/** Moving units grouped by stop group, in topology order, with their redundancy conflicts. */
function planGroups(ctx: CheckContext): PlanGroupScope[] {
  const byKey = new Map<string, PlanGroupScope>();
  for (const s of ctx.scope.moving) {
    const key = ctx.stopRoot.get(s.unit.id) ?? s.unit.id;
    let g = byKey.get(key);
    if (!g) {
      g = { id: s.unit.id, method: s.unit.method, units: [], vms: [], notConcurrentWith: [] };
      byKey.set(key, g);
    }
    g.units.push(s);
    g.vms.push(...(ctx.scope.byOwner.get(s.unit.id) ?? []));
  }
  const groups = [...byKey.values()];
  for (const g of groups) g.vms.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  addConflicts(ctx, groups);
  return groups;
}

/** Groups stopping members of one redundancy group must not run at the same time. */
function addConflicts(ctx: CheckContext, groups: PlanGroupScope[]): void {
  const groupOfUnit = new Map<string, PlanGroupScope>();
  for (const g of groups) for (const u of g.units) groupOfUnit.set(u.unit.id, g);
  const holders = new Map<number, Set<PlanGroupScope>>();
  const { movingVms } = ctx.scope;
  for (let i = 0; i < movingVms.length; i++) {
    const vm = movingVms[i]!;
    const redundancy = ctx.redundancy.groupsOfVm.get(vm.id);
    const owner = ctx.scope.owner.get(vm.id);
    const g = owner === undefined ? undefined : groupOfUnit.get(owner);
    if (!redundancy || !g || g.method === 'live-volume' || vm.powerState !== 'poweredOn') continue;
    if (ctx.input.request.kind === 'failover') continue;
    for (const r of redundancy) {
      getOrInit(holders, r, () => new Set<PlanGroupScope>()).add(g);
    }
  }
  const conflicts = new Map<PlanGroupScope, Set<string>>();
  for (const set of holders.values()) {
    if (set.size < 2) continue;
    for (const a of set) {
      const c = getOrInit(conflicts, a, () => new Set<string>());
      for (const b of set) if (b !== a) c.add(b.id);
    }
  }
  for (const [g, c] of conflicts) g.notConcurrentWith = [...c].sort();
}
