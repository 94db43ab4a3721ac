import type { InventoryVm } from '../inventory.js';
import type { Plan, PlanStep, UnitPlan } from '../plan/types.js';
import type { ImpactKind, ServiceImpact } from './types.js';

// What each service goes through, from the plan: in a cold unit the VMs are down from the shutdown
// step to the end of the power-on step of their unit (the sum of those steps' estimates); a hot move
// (vMotion) stops nothing; a Zerto move restarts the VMs at the other site (a reboot).

export interface ServiceAttributes {
  attribute: string;
  ownerAttribute: string;
}

export const NO_SERVICE = '(no service)';
const ownerPattern = /\b([UWS][A-Z0-9]{2,})\b/g;

const severity: Record<ImpactKind, number> = { none: 0, unknown: 1, reboot: 2, downtime: 3 };

interface VmImpact {
  kind: ImpactKind;
  downtimeMs: number | null;
}

function vmNames(step: PlanStep): string[] {
  switch (step.kind) {
    case 'shutdown-vms':
      return step.vms.map((v) => v.name);
    case 'vmotion-vms':
      return step.moves.map((m) => m.name);
    case 'zerto-move':
    case 'zerto-failover':
      return step.vms;
    case 'power-on-vms':
      return step.groups.flatMap((g) => g.vms.map((v) => v.name));
    default:
      return [];
  }
}

/** Each VM of the group and what happens to it. */
function groupImpact(group: UnitPlan): Map<string, VmImpact> {
  const out = new Map<string, VmImpact>();
  const steps = group.steps;
  const first = steps.findIndex((s) => s.kind === 'shutdown-vms');
  let last = -1;
  steps.forEach((s, i) => {
    if (s.kind === 'power-on-vms') last = i;
  });
  if (first >= 0) {
    const end = last >= first ? last : steps.length - 1;
    const downtimeMs = steps.slice(first, end + 1).reduce((sum, s) => sum + s.estimateMs, 0);
    for (const name of vmNames(steps[first] as PlanStep)) out.set(name, { kind: 'downtime', downtimeMs });
  }
  for (const s of steps) {
    if (s.kind === 'zerto-move' || s.kind === 'zerto-failover') {
      for (const name of vmNames(s)) {
        if (!out.has(name)) out.set(name, { kind: 'reboot', downtimeMs: s.estimateMs });
      }
    } else if (s.kind === 'vmotion-vms') {
      for (const name of vmNames(s)) if (!out.has(name)) out.set(name, { kind: 'none', downtimeMs: 0 });
    }
  }
  return out;
}

export function ownersOf(value: string | undefined): string[] {
  if (!value) return [];
  return [...new Set([...value.matchAll(ownerPattern)].map((m) => m[1] as string))];
}

function collect(
  entries: Array<{ vm: string; impact: VmImpact }>,
  vmsByName: Map<string, InventoryVm>,
  attrs: ServiceAttributes,
): ServiceImpact[] {
  const services = new Map<string, ServiceImpact>();
  for (const { vm, impact } of entries) {
    const attributes = vmsByName.get(vm)?.attributes ?? {};
    const service = attributes[attrs.attribute]?.trim() || NO_SERVICE;
    let s = services.get(service);
    if (!s) {
      s = { service, kind: impact.kind, downtimeMs: impact.downtimeMs, owners: [], vms: [] };
      services.set(service, s);
    } else if (severity[impact.kind] > severity[s.kind]) {
      s.kind = impact.kind;
      s.downtimeMs = impact.downtimeMs;
    } else if (impact.kind === s.kind && impact.downtimeMs !== null) {
      s.downtimeMs = Math.max(s.downtimeMs ?? 0, impact.downtimeMs);
    }
    s.vms.push(vm);
    for (const o of ownersOf(attributes[attrs.ownerAttribute])) if (!s.owners.includes(o)) s.owners.push(o);
  }
  return [...services.values()]
    .map((s) => ({ ...s, vms: [...s.vms].sort() }))
    .sort(
      (a, b) =>
        severity[b.kind] - severity[a.kind] ||
        (b.downtimeMs ?? 0) - (a.downtimeMs ?? 0) ||
        a.service.localeCompare(b.service),
    );
}

/** Impact per service from a plan; `vms` is the inventory (for the service and owner attributes). */
export function impactFromPlan(plan: Plan, vms: InventoryVm[], attrs: ServiceAttributes): ServiceImpact[] {
  const byName = new Map(vms.map((v) => [v.name, v]));
  const entries: Array<{ vm: string; impact: VmImpact }> = [];
  for (const group of plan.groups) {
    for (const [vm, impact] of groupImpact(group)) entries.push({ vm, impact });
  }
  return collect(entries, byName, attrs);
}

/** Without a plan: the services on the site, impact unknown (the announcement says so). */
export function servicesWithoutPlan(vms: InventoryVm[], attrs: ServiceAttributes): ServiceImpact[] {
  const byName = new Map(vms.map((v) => [v.name, v]));
  return collect(
    vms
      .filter((v) => !v.template)
      .map((v) => ({ vm: v.name, impact: { kind: 'unknown', downtimeMs: null } })),
    byName,
    attrs,
  );
}

/** "1 h 20 min", "45 min", "30 s". */
export function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return `${Math.max(1, Math.round(ms / 1000))} s`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}
