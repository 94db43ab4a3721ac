import { createHash } from 'node:crypto';
import type { InventoryIndex, InventoryVm } from '../inventory.js';
import type { ProtectedUnit, ReplicationStatus } from '../replication.js';
import type { MoveKind, PlanInputs, PlanUnitInput, PlanVmInput } from './types.js';

// Approval is bound to a hash of what the plan was computed from. Hashing the plan itself would
// also work, but hashing the inputs lets the run say *what* changed ("vm web1-01 moved from
// esx-site5-01 to esx-site5-02") instead of "the plan is different". Every array is sorted and
// every object key ordered, so the hash depends on the facts, never on the order vCenter listed them.

export interface PlanRequestFacts {
  kind: MoveKind;
  from: string;
  to: string;
  mode?: string | undefined;
  datastores?: readonly string[] | undefined;
  forceOff: boolean;
}

export interface PlanUnitFacts {
  unit: ProtectedUnit;
  status: ReplicationStatus | undefined;
  vms: readonly InventoryVm[];
}

export function planInputs(
  request: PlanRequestFacts,
  units: readonly PlanUnitFacts[],
  idx: InventoryIndex,
): PlanInputs {
  const dsName = (id: string) => idx.datastore.get(id)?.name ?? id;
  const vmInput = (vm: InventoryVm): PlanVmInput => ({
    name: vm.name,
    host: vm.host === null ? null : (idx.host.get(vm.host)?.name ?? vm.host),
    // Nearly every VM is on one datastore: no sort to set up for it.
    datastores: vm.datastores.length === 1 ? [dsName(vm.datastores[0]!)] : vm.datastores.map(dsName).sort(),
    powerState: vm.powerState,
  });
  const unitInputs: PlanUnitInput[] = units.map((u) => ({
    id: u.unit.id,
    primarySite: u.status?.primarySite ?? null,
    health: u.status?.health ?? null,
    vms: u.vms.map(vmInput).sort((a, b) => compare(a.name, b.name)),
  }));
  return {
    request: {
      kind: request.kind,
      from: request.from,
      to: request.to,
      mode: request.mode ?? null,
      datastores: [...(request.datastores ?? [])].sort(),
      forceOff: request.forceOff,
    },
    units: unitInputs.sort((a, b) => compare(a.id, b.id)),
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** JSON with object keys sorted at every level; arrays keep their (already canonical) order. */
export function canonicalJson(value: unknown): string {
  // A key-sorted copy serialised natively is about 3× faster than writing the JSON by hand.
  return JSON.stringify(sortedKeys(value)) ?? 'null';
}

function sortedKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(sortedKeys);
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(record).sort()) {
    if (record[key] !== undefined) out[key] = sortedKeys(record[key]);
  }
  return out;
}

export function planHash(inputs: PlanInputs): string {
  // Hashed a unit at a time: the whole JSON is a few hundred kB, which V8 builds as a rope and
  // would flatten into one large fresh string (about 1 ms) just to hash it. Same bytes, same hash.
  const hash = createHash('sha256');
  planInputsJsonParts(inputs, (part) => hash.update(part));
  return hash.digest('hex');
}

/**
 * canonicalJson of plan inputs, written field by field: no key sorting on 5,000 VMs. Keys are
 * listed in sorted order; a test checks it equals canonicalJson, so a new field cannot be missed.
 */
export function planInputsJson(i: PlanInputs): string {
  const parts: string[] = [];
  planInputsJsonParts(i, (part) => parts.push(part));
  return parts.join('');
}

/** planInputsJson in consecutive pieces, to `emit`: the request, then one unit at a time. */
function planInputsJsonParts(i: PlanInputs, emit: (part: string) => void): void {
  const r = i.request;
  const request = JSON.stringify({
    datastores: r.datastores,
    forceOff: r.forceOff,
    from: r.from,
    kind: r.kind,
    mode: r.mode,
    to: r.to,
  });
  emit(`{"request":${request},"units":[`);
  i.units.forEach((u, n) => {
    const unit = JSON.stringify({
      health: u.health,
      id: u.id,
      primarySite: u.primarySite,
      vms: u.vms.map((v) => ({
        datastores: v.datastores,
        host: v.host,
        name: v.name,
        powerState: v.powerState,
      })),
    });
    emit(n === 0 ? unit : `,${unit}`);
  });
  emit(']}');
}

/** The differences between two plan inputs, in words, for the run's refusal message. */
export function diffPlanInputs(a: PlanInputs, b: PlanInputs): string[] {
  const out: string[] = [];
  diffRequest(a.request, b.request, out);
  const before = new Map(a.units.map((u) => [u.id, u]));
  const after = new Map(b.units.map((u) => [u.id, u]));
  for (const [id, u] of before) {
    const v = after.get(id);
    if (!v) out.push(`unit ${id} is no longer part of the move`);
    else diffUnit(u, v, out);
  }
  for (const id of after.keys()) if (!before.has(id)) out.push(`unit ${id} is now part of the move`);
  // A VM with disks on two units is listed under both; say each change once.
  return [...new Set(out)];
}

function diffRequest(a: PlanInputs['request'], b: PlanInputs['request'], out: string[]): void {
  for (const key of ['kind', 'from', 'to', 'mode', 'forceOff'] as const) {
    if (a[key] !== b[key]) out.push(`request ${key}: ${String(a[key])} → ${String(b[key])}`);
  }
  const da = a.datastores.join(', ') || '(all)';
  const db = b.datastores.join(', ') || '(all)';
  if (da !== db) out.push(`request datastores: ${da} → ${db}`);
}

function diffUnit(a: PlanUnitInput, b: PlanUnitInput, out: string[]): void {
  if (a.health !== b.health) out.push(`${a.id}: health ${a.health ?? 'unknown'} → ${b.health ?? 'unknown'}`);
  if (a.primarySite !== b.primarySite) {
    out.push(`${a.id}: primary site ${a.primarySite ?? 'none'} → ${b.primarySite ?? 'none'}`);
  }
  const before = new Map(a.vms.map((v) => [v.name, v]));
  const after = new Map(b.vms.map((v) => [v.name, v]));
  for (const [name, v] of before) {
    const w = after.get(name);
    if (!w) {
      out.push(`vm ${name} left ${a.id}`);
      continue;
    }
    if (v.host !== w.host) out.push(`vm ${name} moved from ${v.host ?? 'no host'} to ${w.host ?? 'no host'}`);
    if (v.powerState !== w.powerState) out.push(`vm ${name} power ${v.powerState} → ${w.powerState}`);
    const dv = v.datastores.join(', ');
    const dw = w.datastores.join(', ');
    if (dv !== dw) out.push(`vm ${name} datastores ${dv} → ${dw}`);
  }
  for (const name of after.keys()) if (!before.has(name)) out.push(`vm ${name} joined ${a.id}`);
}
