import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Topology } from '../../src/config/schema.js';
import type { PreflightResult } from '../../src/domain/preflight/types.js';
import { gatherPreflight } from '../../src/jobs/preflight/gather.js';
import {
  activeRuns,
  history,
  type RunEngine,
  type RunRecord,
  startRunEngine,
} from '../../src/jobs/run/index.js';
import { createStepServices } from '../../src/jobs/run/step-services.js';
import { stepExecutors } from '../../src/jobs/steps/index.js';
import type { StepContext } from '../../src/jobs/steps/types.js';
import { freePort } from '../support/free-port.js';
import { runCli } from '../support/in-process-cli.js';
import { createRunHarness, ended, FAST_TIMINGS, REDIS_URL, type RunHarness } from '../support/run-harness.js';
import { type SpawnedBascule, spawnBascule } from '../support/spawn-bascule.js';
import { type LabState, type StepHarness, startStepHarness } from '../support/step-harness.js';

// Unplanned failover with the fencing guard, end to end on the lab: the preflight probes the
// source (vCenter's view of its hosts and VMs, its Storwize array over SSH), the run control
// counts distinct approvers, and the engine probes again just before making a replica writable.
// "site5 is dark" is the vCenter simulator's /lab/site/power (hosts notResponding, VMs
// disconnected) plus Bascule's sites.yaml pointing the site5 array at a port nobody listens on.

let lab: StepHarness;
let h: RunHarness;
let dark: Topology;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  lab = await startStepHarness();
  h = await createRunHarness();
  dark = structuredClone(lab.topology);
  const array = dark.arrays.find((a) => a.type === 'storwize' && a.site === 'site5');
  if (array?.type !== 'storwize') throw new Error('the lab has a Storwize array at site5');
  array.port = await freePort();
});

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await h?.cleanup();
  await lab?.stop();
});

/** Stops every engine started so far: the next test decides which worker, if any, runs. */
async function stopEngines(): Promise<void> {
  for (const close of closers.splice(0).reverse()) await close();
}

/** A worker's engine whose adapters and probes see the world through `topology`. */
function startEngine(topology: Topology): RunEngine<StepContext> {
  const services = createStepServices({
    topology,
    env: lab.env,
    store: () => h.control.store,
    pollIntervalMs: 10,
    fencingTimeoutMs: 2_000,
  });
  const engine = startRunEngine<StepContext>({
    redis: h.redis,
    prefix: h.prefix,
    executors: stepExecutors,
    makeContext: (base) => services.makeContext(base),
    replan: (run, approved) => services.replan(run, approved),
    probeFencing: (run) => services.probeFencing(run),
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    timings: FAST_TIMINGS,
  });
  const close = async () => {
    await engine.close();
    await services.close();
  };
  closers.push(close);
  return { ...engine, close };
}

const failover = (topology: Topology, unit: string, overrideFencing = false): Promise<PreflightResult> =>
  gatherPreflight(
    {
      topology,
      env: lab.env,
      activeRuns: () => activeRuns(h.control.store),
      fencingTimeoutMs: 2_000,
    },
    { kind: 'failover', from: 'site5', to: 'lognes', datastores: [unit], forceOff: true, overrideFencing },
  );

const vmsOf = (state: LabState, unit: string) =>
  state.vms.filter((v) => v.registered && v.datastores.includes(unit)).map((v) => v.name);

/** The failed steps of a run, to say why in an assertion message. */
const failures = (run: RunRecord) =>
  JSON.stringify(
    Object.values(run.units).flatMap((u) =>
      u.steps
        .filter((st) => st.state === 'failed')
        .map((st) => ({ unit: u.id, kind: st.kind, error: st.error })),
    ),
  );

const sitePower = (up: boolean) => lab.control('/site/power', { site: 'site5', up });

/** Storwize commands since `from` that change state (anything but the ls* queries). */
function arrayChanges(from: number): string[] {
  const commands = lab.lab.handles?.storwize.control.commands() ?? [];
  return commands
    .slice(from)
    .filter((c) => !c.verb.startsWith('ls'))
    .map((c) => `${c.array}: ${c.command}`);
}

/** Each VM registered exactly once, at lognes, powered on (read back from vCenter). */
async function expectRunningOnceAtLognes(names: string[]): Promise<void> {
  const state = await lab.state();
  for (const name of names) {
    const entries = state.vms.filter((v) => v.name === name && v.registered);
    expect(
      entries.map((v) => [v.site, v.powerState]),
      name,
    ).toEqual([['lognes', 'poweredOn']]);
  }
}

function cli(args: string[]) {
  return runCli(args, {
    ...lab.env,
    REDIS_URL,
    BASCULE_KEY_PREFIX: h.prefix,
    BASCULE_USER: 'alice',
    BASCULE_CONFIG: lab.lab.info.files.sitesYaml,
  });
}

describe('failover fencing guard on the lab', () => {
  it('refuses a failover while site5 answers: blocking finding, no run, nothing sent to the arrays', async () => {
    const commands = lab.lab.handles?.storwize.control.commands().length ?? 0;
    const pre = await failover(lab.topology, 'SAN-SITE5-PROD-02');
    expect(pre.fencing?.verdict).toBe('source-answers');
    const block = pre.findings.find((f) => f.code === 'FENCING_SOURCE_ANSWERS');
    expect(block?.severity).toBe('block');
    expect(block?.message).toMatch(/site5 still answers \(storwize v7000-site5, host esx-site5-01/);
    if (pre.fencing?.verdict !== 'source-answers') throw new Error('not source-answers');
    expect(pre.fencing.answered).toEqual(
      expect.arrayContaining(['storwize v7000-site5', 'host esx-site5-02']),
    );
    expect(pre.blocked).toBe(true);
    // The run control refuses it too, whoever calls it.
    await expect(
      h.control.submit({ plan: pre.plan, requestedBy: 'alice', fencing: pre.fencing ?? null }),
    ).rejects.toMatchObject({ code: 'FENCING_SOURCE_ANSWERS' });
    expect((await h.control.store.list()).map((r) => r.status)).toEqual(['failed']);

    const c = await cli(['failover', 'site5', '--to', 'lognes', '--datastore', 'SAN-SITE5-PROD-02', '--yes']);
    expect(c.code).toBe(3);
    expect(c.out).toMatch(/FENCING_SOURCE_ANSWERS|Fencing guard/);
    const o = await cli([
      'failover',
      'site5',
      '--datastore',
      'SAN-SITE5-PROD-02',
      '--override-fencing',
      '--yes',
    ]);
    expect(o.code).toBe(2);
    expect(o.out).toMatch(/--yes cannot approve a failover that overrides the fencing guard/);
    expect(arrayChanges(commands)).toEqual([]);
  }, 120_000);

  it('fails the step if site5 answers again at run time, then fails over once it is dark', async () => {
    const unit = 'SAN-SITE5-PROD-02';
    const names = vmsOf(await lab.state(), unit);
    expect(names.length).toBeGreaterThan(1);
    // The room loses power: its hosts stop answering (vCenter keeps the VMs' last power state,
    // poweredOn, with the VMs disconnected), its array is gone.
    await sitePower(false);
    const pre = await failover(dark, unit);
    expect(pre.fencing?.verdict).toBe('fenced');
    expect(pre.findings.find((f) => f.code === 'FENCING_CONFIRMED')).toBeDefined();
    expect(pre.findings.filter((f) => f.severity === 'block')).toEqual([]);
    const run = await h.control.submit({
      plan: pre.plan,
      requestedBy: 'alice',
      fencing: pre.fencing ?? null,
    });
    await h.control.approve(run.id, 'bob');

    // Power comes back before a worker takes the run: the engine's own probe stops it.
    await sitePower(true);
    const commands = lab.lab.handles?.storwize.control.commands().length ?? 0;
    const live = startEngine(lab.topology);
    const failed = await h.waitFor(run.id, ended, 'refusal at run time');
    expect(failed.status).toBe('failed');
    const step = failed.units[unit]?.steps[0];
    expect(step).toMatchObject({ kind: 'make-replica-writable', state: 'failed' });
    expect(step?.error?.code).toBe('FENCING_SOURCE_ANSWERS');
    expect(step?.error?.hint).toMatch(/\/migrate/);
    expect(arrayChanges(commands)).toEqual([]);
    expect(
      (await lab.state()).vms.filter((v) => names.includes(v.name) && v.registered).map((v) => v.site),
    ).toEqual(names.map(() => 'site5'));
    await live.close();

    // Dark again: the operator retries the unit and the failover goes through.
    await sitePower(false);
    startEngine(dark);
    await h.control.retry(run.id, 'alice', unit);
    const done = await h.waitFor(run.id, ended, 'end of the failover');
    expect(done.error).toBeNull();
    expect(done.status, failures(done)).toBe('succeeded');
    await expectRunningOnceAtLognes(names);
    await sitePower(true);
    await stopEngines();
  }, 240_000);

  it('an override with two distinct approvers (never the requester) runs while the site5 array answers', async () => {
    const unit = 'SAN-SITE5-PROD-01';
    const names = vmsOf(await lab.state(), unit);
    expect(names.length).toBeGreaterThan(0);
    // The hosts are dark but the array, on its own power supply, still answers.
    await sitePower(false);
    const pre = await failover(lab.topology, unit, true);
    expect(pre.fencing).toMatchObject({ verdict: 'source-answers', answered: ['storwize v7000-site5'] });
    expect(pre.findings.find((f) => f.code === 'FENCING_SOURCE_ANSWERS')?.severity).toBe('warn');
    expect(pre.findings.filter((f) => f.severity === 'block').map((f) => f.message)).toEqual([]);
    const run = await h.control.submit({
      plan: pre.plan,
      requestedBy: 'alice',
      requiredApprovals: 1,
      fencing: pre.fencing ?? null,
      overrideFencing: true,
    });
    expect(run.requiredApprovals).toBe(2);
    await expect(h.control.approve(run.id, 'alice')).rejects.toMatchObject({ code: 'APPROVAL_SELF' });
    expect((await h.control.approve(run.id, 'bob')).status).toBe('awaiting-approval');
    await expect(h.control.approve(run.id, 'bob')).rejects.toMatchObject({ code: 'APPROVAL_DUPLICATE' });
    expect((await h.control.store.require(run.id)).status).toBe('awaiting-approval');
    expect((await h.control.approve(run.id, 'carol')).status).toBe('queued');

    startEngine(lab.topology);
    const done = await h.waitFor(run.id, ended, 'end of the overridden failover');
    expect(done.error).toBeNull();
    expect(done.status, failures(done)).toBe('succeeded');
    await expectRunningOnceAtLognes(names);
    await sitePower(true);
    const audit = await history(h.redis, h.control.store.keys, run.id);
    expect(audit.filter((e) => e.type.startsWith('approval') || e.type === 'run-approved')).toMatchObject([
      {
        type: 'approval-recorded',
        user: 'bob',
        details: { approval: 1, required: 2, fencingOverride: true },
      },
      {
        type: 'run-approved',
        user: 'carol',
        details: { approvers: ['bob', 'carol'], fencingOverride: true },
      },
    ]);
    expect(audit.find((e) => e.type === 'run-created')?.details).toMatchObject({
      fencing: { verdict: 'source-answers', override: true },
      requiredApprovals: 2,
    });
    await stopEngines();
  }, 240_000);

  it('bascule failover --override-fencing asks two different operators on the terminal', async () => {
    const args = ['failover', 'site5', '--datastore', 'LV-SITE5-01', '--override-fencing', '--detach'];
    const env = {
      ...lab.env,
      REDIS_URL,
      BASCULE_KEY_PREFIX: h.prefix,
      BASCULE_USER: 'alice',
      BASCULE_CONFIG: lab.lab.info.files.sitesYaml,
    };
    const until = async (p: SpawnedBascule, re: RegExp, count = 1) => {
      const deadline = Date.now() + 60_000;
      while ((p.stderr().match(new RegExp(re, 'g')) ?? []).length < count) {
        if (p.child.exitCode !== null || Date.now() > deadline) throw new Error(`no ${re}: ${p.stderr()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return [...p.stderr().matchAll(new RegExp(re, 'g'))].at(-1) as RegExpMatchArray;
    };
    const approve = async (p: SpawnedBascule, name: string, nth: number) => {
      await until(p, /Your name: /, nth);
      p.child.stdin.write(`${name}\n`);
      const code = (await until(p, new RegExp(`${name}, type ([0-9a-f]{6}) to approve`)))[1];
      p.child.stdin.write(`${code}\n`);
    };

    // The same operator twice does not make two approvals: refused, and the run withdrawn.
    const twice = spawnBascule(args, env);
    await until(
      twice,
      /FAILOVER site5 -> lognes with the fencing guard overridden.*two operators other than alice/,
    );
    await until(twice, /Approval 1 of 2 by another operator\. Your name: /);
    await approve(twice, 'bob', 1);
    await until(twice, /Approval 2 of 2 by another operator\. Your name: /);
    twice.child.stdin.write('bob\n');
    expect((await twice.exit).code).toBe(1);
    expect(twice.stderr()).toMatch(/bob already approved this run/);
    const withdrawn = (await h.control.store.list()).find((r) => r.unitOrder.includes('LV-SITE5-01'));
    expect(withdrawn?.status).toBe('cancelled');

    const ok = spawnBascule(args, env);
    await approve(ok, 'bob', 1);
    await approve(ok, 'carol', 2);
    expect((await ok.exit).code).toBe(0);
    const runId = ok.lines.map((l) => String(l.msg ?? '')).find((m) => /^r-[0-9a-f]{6}$/.test(m)) ?? '';
    const run = await h.control.store.require(runId);
    expect(run.status).toBe('queued');
    expect(run.approvals.map((a) => a.user)).toEqual(['bob', 'carol']);
    expect(run.fencing).toMatchObject({ verdict: 'source-answers', override: true });
    // No worker runs in this test: withdraw it before any would.
    await h.control.cancel(runId, 'alice');
  }, 180_000);
});
