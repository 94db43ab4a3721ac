import type { InventoryIndex } from '../inventory.js';
import { bootGroups } from './boot-order.js';
import { hostRef, isOn, type PlanGroupScope, type StepContext, unitRef, verifyStep } from './step-context.js';
import type { DatastoreRef, HostRef, PlanStep, RegisterStep, ShutdownStep } from './types.js';

// Cold moves (Storwize) and storage failovers. Order matters and is the field report's: nothing is
// unmounted before every VM of the group is off and unregistered, and nothing is registered before
// the replica is writable and mounted.

export function coldSteps(g: PlanGroupScope, c: StepContext): PlanStep[] {
  const e = c.estimates;
  const hosts = sourceHosts(g, c.idx);
  const steps: PlanStep[] = [];
  const shutdown = shutdownStep(g, c);
  if (shutdown) steps.push(shutdown);
  steps.push(
    {
      kind: 'unregister-vms',
      vms: g.vms.map((v) => ({ id: v.id, name: v.name, vmxPath: v.vmxPath })),
      bestEffort: false,
      estimateMs: e.unregisterVmMs * g.vms.length,
    },
    {
      kind: 'unmount-datastore',
      datastores: datastoreRefs(g),
      hosts,
      estimateMs: e.unmountPerHostMs * hosts.length,
    },
    {
      kind: 'switch-replication',
      units: g.units.map(unitRef),
      toSite: c.to,
      estimateMs: e.switchReplicationMs * g.units.length,
    },
    ...arrivalSteps(g, c),
  );
  return steps;
}

export function storageFailoverSteps(g: PlanGroupScope, c: StepContext): PlanStep[] {
  const e = c.estimates;
  return [
    {
      kind: 'make-replica-writable',
      units: g.units.map(unitRef),
      toSite: c.to,
      estimateMs: e.makeWritableMs * g.units.length,
    },
    {
      kind: 'unregister-vms',
      vms: g.vms.map((v) => ({ id: v.id, name: v.name, vmxPath: v.vmxPath })),
      bestEffort: true,
      estimateMs: e.unregisterVmMs * g.vms.length,
    },
    ...arrivalSteps(g, c),
  ];
}

/** Rescan, mount, register, power on, verify: the destination half of a cold move or a failover. */

function arrivalSteps(g: PlanGroupScope, c: StepContext): PlanStep[] {
  const e = c.estimates;
  const n = c.destinationHosts.length;
  const steps: PlanStep[] = [
    { kind: 'rescan-hosts', hosts: c.destinationHosts, estimateMs: n > 0 ? e.rescanHostMs : 0 },
    {
      kind: 'mount-datastore',
      datastores: datastoreRefs(g),
      hosts: c.destinationHosts,
      resolution: 'forceMount',
      estimateMs: e.mountPerHostMs * n,
    },
    registerStep(g, c),
  ];
  const on = g.vms.filter(isOn);
  if (on.length > 0) {
    const groups = bootGroups(
      on.map((v) => ({ name: v.name, host: c.targetOf(v)?.host.name ?? null, toolsRunning: v.toolsRunning })),
      c.boot,
    );
    const waits = groups.filter((b) => b.waitForTools.length > 0).length;
    steps.push({
      kind: 'power-on-vms',
      groups,
      estimateMs: e.powerOnGroupMs * groups.length + e.toolsWaitMs * waits,
    });
  }
  steps.push(verifyStep(g, c));
  return steps;
}

function shutdownStep(g: PlanGroupScope, c: StepContext): ShutdownStep | null {
  const on = g.vms.filter(isOn);
  if (on.length === 0) return null;
  const e = c.estimates;
  // Guests shut down in parallel. A guest without Tools is powered off at once (the executor does
  // not wait for a shutdown that cannot come; without forced power-off it refuses before acting).
  const noTools = on.some((v) => !v.toolsRunning);
  return {
    kind: 'shutdown-vms',
    vms: on.map((v) => ({
      id: v.id,
      name: v.name,
      host: v.host === null ? null : hostRef(c.idx, v.host).name,
      toolsRunning: v.toolsRunning,
    })),
    timeoutMs: c.shutdownTimeoutMs,
    forceOff: c.forceOff,
    estimateMs: Math.max(e.shutdownVmMs, noTools ? e.powerOffVmMs : 0),
  };
}

function registerStep(g: PlanGroupScope, c: StepContext): RegisterStep {
  return {
    kind: 'register-vms',
    folder: c.folder,
    vms: g.vms.map((v) => ({
      name: v.name,
      vmxPath: v.vmxPath,
      template: v.template,
      target: c.targetOf(v),
    })),
    estimateMs: c.estimates.registerVmMs * g.vms.length,
  };
}

function datastoreRefs(g: PlanGroupScope): DatastoreRef[] {
  return g.units.flatMap((u) => [
    ...u.datastores.map((d) => ({ id: d.id, name: d.name, vmfsUuid: d.vmfsUuid })),
    ...u.missingDatastores.map((name) => ({ id: null, name, vmfsUuid: null })),
  ]);
}

function sourceHosts(g: PlanGroupScope, idx: InventoryIndex): HostRef[] {
  const ids = new Set(g.units.flatMap((u) => u.datastores.flatMap((d) => d.hosts)));
  return [...ids].sort().map((id) => hostRef(idx, id));
}
