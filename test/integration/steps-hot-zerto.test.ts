import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UnitPlan } from '../../src/domain/plan/types.js';
import { groupOf, type StepHarness, startStepHarness, stepOf } from '../support/step-harness.js';

// The warm moves of the small lab through the step executors: a Live Volume unit (vMotion while
// running, then the array's SwapRoles through DSM) and a Zerto VPG (move with commit policy None,
// commit after checking). Both against the real lab; one lab for the file.

let h: StepHarness;
const timings: Array<{ step: string; ms: number }> = [];

beforeAll(async () => {
  h = await startStepHarness();
});

afterAll(async () => {
  if (process.env.BASCULE_STEP_TIMINGS) console.info(timings.map((t) => `${t.step}: ${t.ms} ms`).join('\n'));
  await h?.stop();
});

const hostsOf = (site: string) => new Set(h.model.hosts.filter((x) => x.site === site).map((x) => x.name));

/** Requests since `from` that change something on a stand-in (anything but reads and logins). */
function writes(requests: ReadonlyArray<{ method: string; path: string }>, from: number): string[] {
  return requests
    .slice(from)
    .filter((r) => r.method !== 'GET' && !/auth|login|token|session/i.test(r.path))
    .map((r) => `${r.method} ${r.path}`);
}

/**
 * Runs each step of the group, then again: the second run starts no task and changes nothing.
 * Returns each step's outcome and the writes its first run sent to the stand-in.
 */
async function runTwice(group: UnitPlan, requests: () => ReadonlyArray<{ method: string; path: string }>) {
  const outcomes = new Map<string, Awaited<ReturnType<StepHarness['run']>>>();
  const acted = new Map<string, string[]>();
  for (const step of group.steps) {
    const t0 = performance.now();
    const first = requests().length;
    outcomes.set(step.kind, await h.run(step, group.id));
    acted.set(step.kind, writes(requests(), first));
    timings.push({ step: `${group.id} ${step.kind}`, ms: Math.round(performance.now() - t0) });
    const tasks = await h.recentTasks();
    const state = await h.state();
    const from = requests().length;
    await h.run(step, group.id);
    expect(await h.recentTasks(), `${step.kind} started a task when run again`).toEqual(tasks);
    expect(await h.state(), `${step.kind} changed vCenter when run again`).toEqual(state);
    expect(writes(requests(), from), `${step.kind} acted again`).toEqual([]);
  }
  return { outcomes, acted };
}

describe('Live Volume unit', () => {
  const unit = 'LV-SITE5-01';
  // The plan approved before the move; the second test resumes it after the world drifted.
  let group: UnitPlan;

  it('vMotions the running VMs to lognes within the per-host limit, swaps roles and verifies', async () => {
    const before = (await h.state()).vms.filter((v) => v.datastores.includes(unit));
    expect(before.length).toBeGreaterThan(1);
    group = groupOf((await h.preflight({ datastores: [unit] })).plan, unit);
    expect(group.steps.map((s) => s.kind)).toEqual(['vmotion-vms', 'swap-roles', 'verify']);
    const dsm = h.lab.handles?.dsm.control;
    if (!dsm) throw new Error('in-process lab expected');

    const { outcomes: out, acted } = await runTwice(group, () => dsm.requests);
    // Only the role swap writes to DSM (the vMotions are vCenter's).
    expect(acted.get('vmotion-vms')).toEqual([]);
    expect(acted.get('swap-roles')?.length).toBeGreaterThan(0);
    expect(acted.get('verify')).toEqual([]);
    const vmotion = stepOf(group, 'vmotion-vms');
    const peaks = Object.values(out.get('vmotion-vms')?.details?.peakPerHost as Record<string, number>);
    expect(peaks.length).toBeGreaterThan(0);
    expect(Math.max(...peaks)).toBeLessThanOrEqual(vmotion.perHostLimit);

    const lognes = hostsOf('lognes');
    const after = (await h.state()).vms.filter((v) => v.datastores.includes(unit));
    for (const vm of before) {
      const now = after.filter((v) => v.name === vm.name && v.registered);
      expect(now).toHaveLength(1);
      // vMotion keeps the VM object: same moref, still running, same size.
      expect(now[0]).toMatchObject({
        moref: vm.moref,
        powerState: vm.powerState,
        numCpu: vm.numCpu,
        memoryMb: vm.memoryMb,
      });
      expect(lognes.has(now[0]?.host ?? '')).toBe(true);
    }
  });

  it('verify lists a VM left on the source; the vMotion step, run again, moves only that one', async () => {
    const verify = stepOf(group, 'verify');
    expect(verify.vms.every((v) => v.powerState === 'poweredOn')).toBe(true);
    // Someone (DRS, an operator) puts one VM back on site5 after the move.
    const [straggler, other] = verify.vms;
    if (!straggler || !other) throw new Error('need two VMs');
    await h.control('/vm/relocate', { vm: straggler.name, host: 'esx-site5-01' });
    await h.control('/vm/power', { vm: other.name, on: false });

    const err = await h.run(verify, unit).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STEP_VERIFY_FAILED', retryable: false });
    const list = (err as { details: { discrepancies: string[] } }).details.discrepancies;
    expect(list).toEqual([
      `${straggler.name}: on esx-site5-01 (site5), not on lognes`,
      `${other.name}: poweredOff, expected poweredOn`,
    ]);
    expect((err as Error).message).toContain(`${straggler.name}: on esx-site5-01 (site5)`);
    expect((err as { hint?: string }).hint).toBeTruthy();

    await h.control('/vm/power', { vm: other.name, on: true });
    // The plan made before the move still names the original source hosts: the step skips the
    // VMs already in the target cluster and moves the straggler alone.
    const moved = await h.run(stepOf(group, 'vmotion-vms'), unit);
    expect(moved.details).toMatchObject({ moved: 1, alreadyThere: verify.vms.length - 1 });
    await expect(h.run(verify, unit)).resolves.toMatchObject({ summary: expect.stringContaining('lognes') });
  });
  it('never runs more vMotions than perHostLimit toward one host', async () => {
    // All the unit's VMs back to one site5 host, one at a time: vCenter's own task records must
    // show each relocation finished before the next one started.
    const inv = await h.vsphere.inventory();
    const host = inv.hosts.find((x) => x.name === 'esx-site5-01');
    const pool = inv.clusters.find((c) => c.name === 'site5')?.resourcePool;
    if (!host || !pool) throw new Error('no site5 host or pool');
    const vms = inv.vms.filter((v) =>
      h.model.vms.some((m) => m.name === v.name && m.datastores.includes(unit)),
    );
    expect(vms.length).toBeGreaterThan(1);
    const before = new Set(await h.recentTasks());
    const out = await h.run(
      {
        kind: 'vmotion-vms',
        moves: vms.map((v) => ({
          id: v.id,
          name: v.name,
          fromHost: null,
          target: { cluster: 'site5', resourcePool: pool, host: { id: host.id, name: host.name } },
          powerState: v.powerState,
        })),
        perHostLimit: 1,
        estimateMs: 0,
      },
      unit,
    );
    expect(out.details).toMatchObject({ moved: vms.length, alreadyThere: 0 });
    const relocations = (await h.tasks((await h.recentTasks()).filter((t) => !before.has(t))))
      .filter((t) => t.method === 'RelocateVM_Task')
      .sort((a, b) => (a.startNs < b.startNs ? -1 : 1));
    expect(relocations.map((t) => t.entityName).sort()).toEqual(vms.map((v) => v.name).sort());
    for (let i = 1; i < relocations.length; i++) {
      const prev = relocations[i - 1];
      const next = relocations[i];
      expect(
        next && prev && next.startNs >= prev.completeNs,
        `${next?.entityName} overlapped ${prev?.entityName}`,
      ).toBe(true);
    }
    const state = await h.state();
    expect(
      state.vms.filter((v) => vms.some((m) => m.name === v.name)).every((v) => v.host === host.name),
    ).toBe(true);
  });
});

describe('Zerto failover test', () => {
  const vpg = 'VPG-SITE5-01';

  it('starts copies at lognes, checks them, stops the test with the result; production untouched', async () => {
    const members = h.model.vpgs.find((v) => v.name === vpg)?.vms ?? [];
    expect(members.length).toBeGreaterThan(0);
    const zerto = h.lab.handles?.zerto.control;
    if (!zerto) throw new Error('in-process lab expected');
    const pre = await h.preflight({ kind: 'test-failover', from: 'site5', to: 'lognes' });
    // Only Zerto VPGs can be tested; the storage units are not in the plan.
    expect(pre.plan.groups.every((g) => g.method === 'zerto')).toBe(true);
    const group = groupOf(pre.plan, vpg);
    expect(group.steps.map((s) => s.kind)).toEqual(['zerto-test-start', 'zerto-test-stop']);
    const production = (await h.state()).vms.filter((v) => members.includes(v.name));
    const copies = async () => (await h.state()).vms.filter((v) => v.name.endsWith(' - testing recovery'));

    const start = stepOf(group, 'zerto-test-start');
    await h.run(start, group.id);
    await h.run(start, group.id); // resumed: the test runs already, nothing new
    expect((await copies()).map((v) => v.name).sort()).toEqual(
      members.map((m) => `${m} - testing recovery`).sort(),
    );
    expect((await copies()).every((v) => v.site === 'lognes' && v.powerState === 'poweredOn')).toBe(true);

    const stop = stepOf(group, 'zerto-test-stop');
    const out = await h.run(stop, group.id);
    expect(out.summary).toMatch(/recorded as passed/);
    expect(await copies()).toEqual([]);
    expect(zerto.vpg(vpg).testRunning).toBe(false);
    expect(zerto.vpg(vpg).lastTest).toMatch(/Succeeded: Bascule run/);
    // Run again after a crash that followed the stop: nothing to stop, no failure.
    expect((await h.run(stop, group.id)).details).toMatchObject({ alreadyStopped: true });
    expect((await h.state()).vms.filter((v) => members.includes(v.name))).toEqual(production);
    expect(zerto.vpg(vpg)).toMatchObject({ protectedSite: 'site5', recoverySite: 'lognes' });
  });

  it('stops a test whose copies are missing, records it failed, and fails the step', async () => {
    const zerto = h.lab.handles?.zerto.control;
    if (!zerto) throw new Error('in-process lab expected');
    const group = groupOf(
      (await h.preflight({ kind: 'test-failover', from: 'site5', to: 'lognes' })).plan,
      vpg,
    );
    await h.run(stepOf(group, 'zerto-test-start'), group.id);
    const members = h.model.vpgs.find((v) => v.name === vpg)?.vms ?? [];
    // A copy that did not come up (powered off on the test network).
    await h.control('/vm/power', { vm: `${members[0]} - testing recovery`, on: false });
    await expect(h.run(stepOf(group, 'zerto-test-stop'), group.id)).rejects.toMatchObject({
      code: 'STEP_TEST_FAILED',
    });
    expect(zerto.vpg(vpg).testRunning).toBe(false);
    expect(zerto.vpg(vpg).lastTest).toMatch(/Failed: .*poweredOff/);
    expect((await h.state()).vms.filter((v) => v.name.endsWith(' - testing recovery'))).toEqual([]);
  });
});

describe('Zerto unit', () => {
  const vpg = 'VPG-SITE5-01';

  it('moves the VPG to lognes with commit policy None, commits after the move, and verifies', async () => {
    const members = h.model.vpgs.find((v) => v.name === vpg)?.vms ?? [];
    expect(members.length).toBeGreaterThan(0);
    const group = groupOf((await h.preflight({ datastores: [vpg] })).plan, vpg);
    expect(group.steps.map((s) => s.kind)).toEqual(['zerto-move', 'zerto-commit', 'verify']);
    const zerto = h.lab.handles?.zerto.control;
    if (!zerto) throw new Error('in-process lab expected');

    const move = stepOf(group, 'zerto-move');
    expect(move).toMatchObject({ commitPolicy: 'None', reverseProtection: true });
    const { outcomes: out, acted } = await runTwice(group, () => zerto.requests);
    expect(acted.get('zerto-move')?.some((w) => /move/i.test(w))).toBe(true);
    expect(acted.get('zerto-commit')?.some((w) => /commit/i.test(w))).toBe(true);
    expect(acted.get('verify')).toEqual([]);
    expect(out.get('zerto-move')?.details).toMatchObject({ primarySite: expect.any(String) });
    expect(zerto.vpg(vpg)).toMatchObject({ protectedSite: 'lognes', recoverySite: 'site5' });

    const lognes = hostsOf('lognes');
    const state = await h.state();
    for (const name of members) {
      const entries = state.vms.filter((v) => v.name === name && v.registered);
      expect(entries).toHaveLength(1);
      expect(entries[0]?.powerState).toBe('poweredOn');
      expect(lognes.has(entries[0]?.host ?? '')).toBe(true);
    }
  });

  it('fails the lognes VPG over to site5 and commits it', async () => {
    const vpgBack = 'VPG-LOGNES-01';
    const members = h.model.vpgs.find((v) => v.name === vpgBack)?.vms ?? [];
    const pre = await h.preflight({ kind: 'failover', from: 'lognes', to: 'site5', datastores: [vpgBack] });
    const group = groupOf(pre.plan, vpgBack);
    expect(group.steps.map((s) => s.kind)).toEqual(['zerto-failover', 'zerto-commit', 'verify']);
    for (const step of group.steps) await h.run(step, group.id);
    // A failover committed with reverse protection; run again, it is a no-op.
    const zerto = h.lab.handles?.zerto.control;
    const from = zerto?.requests.length ?? 0;
    await h.run(stepOf(group, 'zerto-failover'), group.id);
    expect(writes(zerto?.requests ?? [], from)).toEqual([]);
    const site5 = hostsOf('site5');
    const state = await h.state();
    for (const name of members) {
      const entries = state.vms.filter((v) => v.name === name && v.registered);
      expect(entries).toHaveLength(1);
      expect(site5.has(entries[0]?.host ?? '')).toBe(true);
    }
  });
});
