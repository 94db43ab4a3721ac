import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanStep } from '../../src/domain/plan/types.js';
import { createStepExecutors } from '../../src/jobs/steps/index.js';
import { COLD_PLAN_STEPS } from '../support/run-plans.js';
import {
  groupOf,
  type LabState,
  type StepHarness,
  startStepHarness,
  stepOf,
} from '../support/step-harness.js';

// A cold (Storwize) unit of the small lab moved by the step executors, one step at a time, against
// the real lab: vcsim over HTTPS, the Storwize arrays over SSH. SAN-SITE5-PROD-02 is used because
// PROD-01 holds the misplaced LDAP pair that preflight blocks on.

const unit = 'SAN-SITE5-PROD-02';
let h: StepHarness;
const timings: Array<{ step: string; ms: number }> = [];

beforeAll(async () => {
  h = await startStepHarness();
});

afterAll(async () => {
  if (process.env.BASCULE_STEP_TIMINGS) console.info(timings.map((t) => `${t.step}: ${t.ms} ms`).join('\n'));
  await h?.stop();
});

const vmsOn = (state: LabState, datastore: string) =>
  state.vms.filter((v) => v.datastores.includes(datastore));
const hostsOf = (site: string) => h.model.hosts.filter((x) => x.site === site).map((x) => x.name);

/** Storwize commands since `from` that change state (anything but the ls* queries). */
function arrayChanges(from: number): string[] {
  const commands = h.lab.handles?.storwize.control.commands() ?? [];
  return commands
    .slice(from)
    .filter((c) => !c.verb.startsWith('ls'))
    .map((c) => `${c.array}: ${c.command}`);
}

async function timed(step: PlanStep, label = step.kind) {
  const t0 = performance.now();
  const out = await h.run(step, unit);
  timings.push({ step: label, ms: Math.round(performance.now() - t0) });
  return out;
}

describe('cold unit step by step', () => {
  it('moves every VM of SAN-SITE5-PROD-02 to lognes, each step a no-op when run again', async () => {
    const before = await h.state();
    const moving = vmsOn(before, unit);
    expect(moving.length).toBeGreaterThan(1);
    expect(moving.every((v) => v.site === 'site5' && v.powerState === 'poweredOn')).toBe(true);

    const pre = await h.preflight({ datastores: [unit] });
    const group = groupOf(pre.plan, unit);
    expect(group.steps.map((s) => s.kind)).toEqual(COLD_PLAN_STEPS);

    const outcomes = new Map<string, Awaited<ReturnType<StepHarness['run']>>>();
    for (const step of group.steps) {
      const tasksBefore = await h.recentTasks();
      const commandsBefore = h.lab.handles?.storwize.control.commands().length ?? 0;
      const out = await timed(step);
      outcomes.set(step.kind, out);
      // The first run did act: vCenter tasks where the step uses tasks, the switch on the array.
      if (step.kind === 'register-vms' || step.kind === 'power-on-vms') {
        expect(await h.recentTasks()).not.toEqual(tasksBefore);
      }
      expect(arrayChanges(commandsBefore).length > 0, step.kind).toBe(step.kind === 'switch-replication');
      // Run again: nothing new in vCenter (no task, same lab state) and no array change.
      const tasks = await h.recentTasks();
      const state = await h.state();
      const commands = h.lab.handles?.storwize.control.commands().length ?? 0;
      const again = await h.run(step, unit);
      expect(await h.recentTasks(), `${step.kind} started a task when run again`).toEqual(tasks);
      expect(await h.state(), `${step.kind} changed vCenter when run again`).toEqual(state);
      expect(arrayChanges(commands), `${step.kind} changed the array when run again`).toEqual([]);
      expect(again.summary).toBeTruthy();
    }

    expect(outcomes.get('shutdown-vms')?.details).toMatchObject({ alreadyOff: 0 });
    // Progress went out per VM, and the array's own progress came through the switch step.
    const messages = h.progress.map((p) => p.message);
    expect(messages).toContain(`shutting down ${moving.length}/${moving.length} VMs`);
    expect(messages.some((m) => m.startsWith(`switching ${unit}`))).toBe(true);
    expect(outcomes.get('mount-datastore')?.details).toMatchObject({
      forceMounted: hostsOf('lognes').length,
    });

    const after = await h.state();
    const lognes = new Set(hostsOf('lognes'));
    for (const vm of moving) {
      const entries = after.vms.filter((v) => v.name === vm.name && v.registered);
      expect(entries, vm.name).toHaveLength(1);
      expect(entries[0]).toMatchObject({
        site: 'lognes',
        powerState: 'poweredOn',
        numCpu: vm.numCpu,
        memoryMb: vm.memoryMb,
        vmxPath: vm.vmxPath,
      });
      expect(lognes.has(entries[0]?.host ?? '')).toBe(true);
    }
    const ds = after.datastores.find((d) => d.name === unit);
    expect(ds?.mountedOn.sort()).toEqual([...lognes].sort());
    expect(ds?.vmfsUuid).toBe(before.datastores.find((d) => d.name === unit)?.vmfsUuid);

    // The inventory agrees, and register reported the new ids.
    const inv = await h.vsphere.inventory();
    const ids = outcomes.get('register-vms')?.details?.vmIds as Record<string, string>;
    for (const vm of moving) {
      const found = inv.vms.filter((v) => v.name === vm.name);
      expect(found).toHaveLength(1);
      expect(found[0]?.id).toBe(ids[vm.name]);
      expect(found[0]).toMatchObject({ numCpu: vm.numCpu, memoryMb: vm.memoryMb, powerState: 'poweredOn' });
    }
    // The array serves the datastore from lognes now, still replicating.
    expect(
      h.lab.handles?.storwize.control.relationship(`rc_${unit.toLowerCase().replace(/-/g, '_')}`),
    ).toMatchObject({ writableSites: ['lognes'], synchronized: true });
  });

  it('moves it back to site5 when part of every step was already done by hand (resume mid-step)', async () => {
    const pre = await h.preflight({ from: 'lognes', to: 'site5', datastores: [unit] });
    const group = groupOf(pre.plan, unit);
    const names = vmsOn(await h.state(), unit).map((v) => v.name);
    const [first, second] = names;
    if (!first || !second) throw new Error('need two VMs');

    // Cancelled before it starts: nothing is touched.
    const shutdown = stepOf(group, 'shutdown-vms');
    await expect(h.run(shutdown, unit, AbortSignal.abort())).rejects.toMatchObject({
      code: 'STEP_ABORTED',
      retryable: true,
    });
    expect(vmsOn(await h.state(), unit).every((v) => v.powerState === 'poweredOn')).toBe(true);

    // Half the VMs were already shut down when the worker crashed.
    for (const vm of [first, second]) await h.control('/vm/power', { vm, on: false });
    expect((await h.run(shutdown, unit)).details).toMatchObject({ alreadyOff: 2 });
    expect(vmsOn(await h.state(), unit).every((v) => v.powerState === 'poweredOff')).toBe(true);

    // One VM already unregistered.
    const inv = await h.vsphere.inventory();
    const firstId = inv.vms.find((v) => v.name === first)?.id ?? '';
    await h.vsphere.unregister(firstId);
    const unregistered = await h.run(stepOf(group, 'unregister-vms'), unit);
    expect(unregistered.summary).toContain('1 already gone');
    expect(vmsOn(await h.state(), unit).filter((v) => v.registered)).toEqual([]);

    // One host already unmounted.
    const unmount = stepOf(group, 'unmount-datastore');
    const [host0] = unmount.hosts;
    const uuid = unmount.datastores[0]?.vmfsUuid ?? '';
    if (!host0) throw new Error('no source host');
    await h.vsphere.unmountVmfs(host0.id, uuid);
    expect((await h.run(unmount, unit)).details).toMatchObject({ alreadyUnmounted: 1 });

    await h.run(stepOf(group, 'switch-replication'), unit);
    await h.run(stepOf(group, 'rescan-hosts'), unit);

    // One destination host already force-mounted.
    const mount = stepOf(group, 'mount-datastore');
    const [dest0] = mount.hosts;
    if (!dest0) throw new Error('no destination host');
    const copy = (await h.vsphere.queryUnresolvedVmfs(dest0.id)).find((u) => u.vmfsUuid === uuid);
    await h.vsphere.resolveUnresolvedVmfs(
      dest0.id,
      copy?.extents.map((e) => e.devicePath) ?? [],
      'forceMount',
    );
    expect((await h.run(mount, unit)).details).toMatchObject({ alreadyMounted: 1 });

    // One VM already registered at the destination, and already on.
    const register = stepOf(group, 'register-vms');
    const target = register.vms.find((v) => v.name === second);
    const dc = (await h.vsphere.inventory()).datacenters[0];
    if (!target?.target || !dc) throw new Error('no target');
    const byHand = await h.vsphere.register(target.vmxPath, {
      datacenter: dc.id,
      folder: dc.vmFolder,
      pool: target.target.resourcePool,
      host: target.target.host.id,
      name: second,
    });
    await h.vsphere.powerOn(byHand.vm.value);
    // The worker stops half-way through the step: it stops between two registrations (one at a
    // time here, so where it stops is certain).
    const stopping = new AbortController();
    const ctx = h.context(unit, stopping.signal);
    const oneAtATime = createStepExecutors({ parallelRegistrations: 1 });
    const interrupted = await oneAtATime['register-vms'](register, {
      ...ctx,
      progress: (p) => {
        // The one registered by hand, then one more.
        if (p.message.startsWith('registering 2/')) stopping.abort();
      },
    }).catch((e: unknown) => e);
    expect(interrupted).toMatchObject({ code: 'STEP_ABORTED', retryable: true });
    const atDestination = async () => vmsOn(await h.state(), unit);
    const half = (await atDestination()).filter((v) => v.registered).length;
    expect(half).toBeGreaterThan(1);
    expect(half).toBeLessThan(register.vms.length);

    const registered = await h.run(register, unit);
    expect(registered.details).toMatchObject({ alreadyRegistered: half });
    expect((await atDestination()).filter((v) => v.registered)).toHaveLength(register.vms.length);
    expect((registered.details?.vmIds as Record<string, string> | undefined)?.[second]).toBe(byHand.vm.value);
    expect((await h.run(stepOf(group, 'power-on-vms'), unit)).details).toMatchObject({ alreadyOn: 1 });

    await h.run(stepOf(group, 'verify'), unit);
    const site5 = new Set(hostsOf('site5'));
    const back = vmsOn(await h.state(), unit).filter((v) => v.registered);
    expect(back.map((v) => v.name).sort()).toEqual([...names].sort());
    expect(back.every((v) => v.powerState === 'poweredOn' && site5.has(v.host ?? ''))).toBe(true);
  });

  it('refuses to register a VM still registered on the other site, and to shut down without Tools when forced power-off is off', async () => {
    const pre = await h.preflight({ datastores: [unit] });
    const group = groupOf(pre.plan, unit);
    const register = stepOf(group, 'register-vms');
    await expect(h.run(register, unit)).rejects.toMatchObject({
      code: 'STEP_REGISTERED_ELSEWHERE',
      retryable: false,
    });
    // Unmounting under registered VMs is refused before any host is touched.
    const mountedBefore = (await h.state()).datastores.find((d) => d.name === unit)?.mountedOn;
    await expect(h.run(stepOf(group, 'unmount-datastore'), unit)).rejects.toMatchObject({
      code: 'STEP_DATASTORE_IN_USE',
      retryable: false,
    });
    expect((await h.state()).datastores.find((d) => d.name === unit)?.mountedOn).toEqual(mountedBefore);

    const noTools = h.model.vms.find((v) => !v.toolsRunning && v.powerOn);
    if (!noTools) throw new Error('the small lab has a VM without Tools');
    const inv = await h.vsphere.inventory();
    const vm = inv.vms.find((v) => v.name === noTools.name);
    if (!vm) throw new Error(`${noTools.name} is not in vCenter`);
    const step: PlanStep = {
      kind: 'shutdown-vms',
      vms: [{ id: vm.id, name: vm.name, host: null, toolsRunning: false }],
      timeoutMs: 1_000,
      forceOff: false,
      estimateMs: 0,
    };
    const err = await h.run(step, unit).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STEP_TOOLS_NOT_RUNNING', retryable: false });
    expect((err as { hint?: string }).hint).toMatch(/resume/);
    expect((await h.state()).vms.find((v) => v.name === noTools.name)?.powerState).toBe('poweredOn');
  });

  it('fails the joined lognes units over to site5 after losing lognes, then resyncs from site5', async () => {
    const units = ['SAN-LOGNES-PROD-01', 'SAN-LOGNES-PROD-02'];
    const pre = await h.preflight({ kind: 'failover', from: 'lognes', to: 'site5', datastores: units });
    // app-02 has disks on both datastores: they fail over as one group.
    const group = groupOf(pre.plan, units[0] as string);
    expect(group.units).toEqual(units);
    expect(group.steps.map((s) => s.kind)).toEqual([
      'make-replica-writable',
      'unregister-vms',
      'rescan-hosts',
      'mount-datastore',
      'register-vms',
      'power-on-vms',
      'verify',
    ]);
    // The room loses power: its guests stop where they are.
    const names = (await h.state()).vms
      .filter((v) => v.datastores.some((d) => units.includes(d)))
      .map((v) => v.name);
    for (const vm of names) await h.control('/vm/power', { vm, on: false });

    for (const step of group.steps) {
      const t0 = performance.now();
      const out = await h.run(step, group.id);
      timings.push({ step: `failover ${step.kind}`, ms: Math.round(performance.now() - t0) });
      if (step.kind === 'verify') expect(out.details).toMatchObject({ replicationStopped: units });
    }
    const site5 = new Set(hostsOf('site5'));
    const state = await h.state();
    for (const name of names) {
      const entries = state.vms.filter((v) => v.name === name && v.registered);
      expect(entries, name).toHaveLength(1);
      expect(entries[0]?.powerState).toBe('poweredOn');
      expect(site5.has(entries[0]?.host ?? '')).toBe(true);
    }

    // Failback preparation: replication restarts from site5, one unit at a time, and once in sync
    // a second run sends nothing to the arrays.
    const refs = stepOf(group, 'make-replica-writable').units;
    const resync: PlanStep = { kind: 'resync-replication', units: refs, fromSite: 'site5', estimateMs: 0 };
    const t0 = performance.now();
    expect((await h.run(resync, group.id)).details).toMatchObject({
      units: units.map((unit) => ({ unit, primarySite: 'site5', health: 'in-sync' })),
    });
    timings.push({ step: 'resync-replication', ms: Math.round(performance.now() - t0) });
    const commands = h.lab.handles?.storwize.control.commands().length ?? 0;
    await h.run(resync, group.id);
    await h.run(stepOf(group, 'make-replica-writable'), group.id);
    expect(arrayChanges(commands)).toEqual([]);
  });

  it('powers on group by group and does not start the next group while Tools stay silent', async () => {
    const silent = h.model.vms.find((v) => !v.toolsRunning && v.powerOn);
    const next = h.model.vms.find((v) => v.toolsRunning && v.datastores[0] === silent?.datastores[0]);
    if (!silent || !next) throw new Error('the small lab has a VM without Tools and a neighbour with');
    for (const vm of [silent.name, next.name]) await h.control('/vm/power', { vm, on: false });
    const step: PlanStep = {
      kind: 'power-on-vms',
      groups: [
        { name: 'directory', vms: [{ name: silent.name, host: null }], waitForTools: [silent.name] },
        { name: 'applications', vms: [{ name: next.name, host: null }], waitForTools: [] },
      ],
      estimateMs: 0,
    };
    const executors = createStepExecutors({ toolsWaitTimeoutMs: 300 });
    const err = await executors['power-on-vms'](step, h.context(unit)).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'STEP_TOOLS_TIMEOUT',
      retryable: true,
      details: { vms: [silent.name] },
    });
    const power = async (name: string) => (await h.state()).vms.find((v) => v.name === name)?.powerState;
    expect(await power(silent.name)).toBe('poweredOn');
    expect(await power(next.name)).toBe('poweredOff');

    // The operator checked the console and resumes without waiting for that guest.
    const resumed = await executors['power-on-vms'](
      { ...step, groups: step.groups.map((g) => ({ ...g, waitForTools: [] })) },
      h.context(unit),
    );
    expect(resumed.details).toMatchObject({ started: 1, alreadyOn: 1 });
    expect(await power(next.name)).toBe('poweredOn');
  });
});
