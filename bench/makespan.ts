import { randomBytes } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { labEnvFile, labTopology } from '../lab/lab-config.js';
import type { LabCredentials } from '../lab/lab-info.js';
import { buildLabModel, type LabModel, type LabVm } from '../lab/model.js';
import { type LabParts, startLabParts } from '../lab/parts.js';
import { ensureVcsimBinary, generateLabCerts } from '../lab/vcsim/index.js';
import { buildReplicationAdapters } from '../src/adapters/replication/registry.js';
import type { Topology } from '../src/config/schema.js';
import { parseTopology, protectedUnits } from '../src/config/topology.js';
import type { Plan, PlanStep, UnitPlan } from '../src/domain/plan/types.js';
import { connectVsphere, gatherPreflight } from '../src/jobs/preflight/gather.js';
import { activeRuns, isTerminal, RunControl, type RunRecord, startRunEngine } from '../src/jobs/run/index.js';
import { createStepServices } from '../src/jobs/run/step-services.js';
import { stepExecutors } from '../src/jobs/steps/index.js';
import { parallelRegistrations } from '../src/jobs/steps/register-vms.js';
import { parallelShutdowns } from '../src/jobs/steps/shutdown-vms.js';
import type { StepContext } from '../src/jobs/steps/types.js';
import { deleteKeysUnder } from '../test/support/redis-keys.js';

// Makespan benchmark (issue 7): 20 cold (Storwize) datastores × 10 VMs moved site5 → lognes with
// the lab's task durations, at a lab time scale. Three times, from the same durations and limits:
//   (1) Bascule: the real run engine (BullMQ on the local Redis) with the real step executors,
//       submit + approve of the preflight's plan for every unit, until the run has succeeded;
//   (2) sequential: what a shell script does with the same clients (VsphereClient and the Storwize
//       adapter), one datastore at a time, one VM / one host at a time, on a fresh lab;
//   (3) the critical-path lower bound (see criticalPathBound).
// Targets: Bascule within 1.2× of the bound and at least 5× faster than the sequential script.
//
// Time scale: the lab's durations are a real site's (a 4 s guest shutdown, a 3 s HBA rescan); the
// default 0.25 keeps the sequential script to ~9 minutes. Much lower, the bench stops measuring
// scheduling: at 0.05 a rescan lasts 150 ms and a registration 75 ms, a few vCenter round trips,
// and every read a step makes before and after acting (kept on purpose: a resumed step must see
// the real state) weighs as much as the work. The bound counts those reads as zero.
// `npm run bench -- makespan 1` runs at the lab's own durations (the script then takes ~35 min).

const FROM = 'site5';
const TO = 'lognes';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface MakespanOptions {
  /** Factor on the lab's task durations (default 0.25: a 4 s guest shutdown takes 1 s). */
  timeScale?: number;
  datastores?: number;
  vmsPerDatastore?: number;
  hostsPerSite?: number;
  /** limits.concurrentDatastores of the topology: the plan's maxParallelUnits. */
  concurrentDatastores?: number;
  log?: (line: string) => void;
}

export interface BoundParts {
  /** Per-unit critical path, ms (scaled), by step kind, for the slowest unit. */
  longestUnit: { unit: string; ms: number; byStep: Record<string, number> };
  totalWorkMs: number;
  parallelUnits: number;
  boundMs: number;
}

export interface MakespanResult {
  timeScale: number;
  units: number;
  vms: number;
  boundMs: number;
  basculeMs: number;
  sequentialMs: number;
  ratioBound: number;
  speedupSequential: number;
}

// ---------------------------------------------------------------------------------------------
// The lab: N cold datastores on site5 with M VMs each, nothing else to move.

/**
 * The large model's generator gives site5 four Storwize datastores in every six, so 12 × ⌈N/4⌉
 * datastores hold N cold ones on site5; only those are kept (no Live Volume, Zerto, ISO library),
 * with VMs of our own: 1 vCPU / 4 GB (the 4 destination hosts, one held back for HA, take 384 vCPU), Tools running, powered on, spread over site5's hosts, names
 * outside the boot order's db-/ldap- patterns (one boot group, as in the field report's
 * application datastores).
 */
export function makespanModel(datastores: number, vmsPerDatastore: number, hostsPerSite: number): LabModel {
  const base = buildLabModel({
    size: 'large',
    vms: 0,
    hosts: hostsPerSite * 2,
    datastores: 12 * Math.ceil(datastores / 4),
  });
  const cold = base.datastores.filter((d) => d.method === 'storwize' && d.site === FROM).slice(0, datastores);
  if (cold.length < datastores) throw new Error(`the generator gave ${cold.length} cold datastores`);
  const hosts = base.hosts.filter((h) => h.site === FROM);
  const vms: LabVm[] = [];
  cold.forEach((ds, d) => {
    for (let k = 0; k < vmsPerDatastore; k++) {
      vms.push({
        name: `svc${String(d + 1).padStart(2, '0')}-${String(k + 1).padStart(2, '0')}`,
        host: hosts[vms.length % hosts.length]?.name ?? '',
        datastores: [ds.name],
        numCpu: 1,
        memoryMb: 4_096,
        powerOn: true,
        toolsRunning: true,
        snapshot: false,
        attributes: { service: 'app', owner: '' },
      });
    }
  });
  return { ...base, datastores: cold, vms, antiAffinityRules: [], vpgs: [] };
}

export interface BenchLab {
  parts: LabParts;
  topology: Topology;
  env: Record<string, string>;
  stop(): Promise<void>;
}

function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

/** startLab builds its own model from a size, so the parts are assembled here as lab/lab.ts does. */
export async function startBenchLab(
  model: LabModel,
  timeScale: number,
  concurrentDatastores: number,
): Promise<BenchLab> {
  const dir = await mkdtemp(join(tmpdir(), 'bascule-bench-makespan-'));
  let parts: LabParts | undefined;
  const stop = async () => {
    try {
      await parts?.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  try {
    await ensureVcsimBinary();
    const certs = await generateLabCerts(dir);
    const [caPem, certPem, keyPem] = await Promise.all(
      [certs.caPath, certs.certPath, certs.keyPath].map((f) => readFile(f, 'utf8')),
    );
    const credentials: LabCredentials = {
      user: 'bascule',
      password: 'lab-password',
      zertoClientId: 'bascule-lab',
      zertoClientSecret: 'lab-client-secret',
      slackBotToken: `xoxb-lab-${randomBytes(12).toString('hex')}`,
      slackSigningSecret: randomBytes(16).toString('hex'),
    };
    parts = await startLabParts({
      model,
      dir,
      timeScale,
      credentials,
      tls: { caPem: caPem as string, certPem: certPem as string, keyPem: keyPem as string },
    });
    const sitesYaml = join(dir, 'sites.yaml');
    const raw = labTopology({ model, endpoints: parts.endpoints, caFile: certs.caPath, timeScale });
    // JSON is YAML: Bascule's own parser checks the topology, with the limit set explicitly.
    const topology = parseTopology(JSON.stringify({ ...raw, limits: { concurrentDatastores } }), sitesYaml);
    const env = parseEnv(labEnvFile({ credentials, slackApiUrl: parts.endpoints.slack.apiUrl, sitesYaml }));
    return { parts, topology, env, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// (3) The bound.

/**
 * Critical-path lower bound, from the lab's task durations × time scale and the plan's limits.
 *
 * Per unit, the steps run one after the other (the field report's order: nothing is unmounted
 * before every VM is off and unregistered, nothing registered before the replica is mounted), so
 * its critical path is the sum over its steps of:
 *   shutdown-vms      ⌈vms / 8⌉ × ShutdownGuest         (8 guests at a time: parallelShutdowns)
 *   unregister-vms    vms × 0                           (UnregisterVM is synchronous, no duration)
 *   unmount-datastore 0                                 (UnmountVmfsVolume is synchronous)
 *   switch-replication 0                                (the array stand-in switches at once)
 *   rescan-hosts      1 × RescanAllHba                  (host-level: all hosts at once)
 *   mount-datastore   1 × ResolveMultipleUnresolvedVmfsVolumes (host-level: counted once)
 *   register-vms      ⌈vms / 4⌉ × RegisterVM_Task       (4 at a time: parallelRegistrations)
 *   power-on-vms      groups × max(PowerOnMultiVM_Task, PowerOnVM_Task) (one batch per boot
 *                     group; the per-VM child tasks start with the batch and run beside it)
 *   verify            0                                 (reads only)
 * The per-step limits are the executors' own, imported from them: a bound assuming less
 * parallelism than the executors use would not be a lower bound. Round trips, inventory reads and
 * polling count zero: the bound is what the simulated work alone costs. Units then share `maxParallelUnits` lanes, so no schedule beats
 *   bound = max(longest unit path, Σ unit paths / maxParallelUnits).
 */
export function criticalPathBound(
  plan: Plan,
  durationsMs: Record<string, number>,
  timeScale: number,
): BoundParts {
  const d = (method: string) => (durationsMs[method] ?? 0) * timeScale;
  const stepMs = (s: PlanStep): number => {
    switch (s.kind) {
      case 'shutdown-vms':
        return Math.ceil(s.vms.length / parallelShutdowns) * d('ShutdownGuest');
      case 'rescan-hosts':
        return s.hosts.length > 0 ? d('RescanAllHba') : 0;
      case 'mount-datastore':
        return s.hosts.length > 0 ? d('ResolveMultipleUnresolvedVmfsVolumes') : 0;
      case 'register-vms':
        return Math.ceil(s.vms.length / parallelRegistrations) * d('RegisterVM_Task');
      case 'power-on-vms':
        return s.groups.length * Math.max(d('PowerOnMultiVM_Task'), d('PowerOnVM_Task'));
      default:
        return 0;
    }
  };
  const unitPath = (g: UnitPlan) => {
    const byStep: Record<string, number> = {};
    for (const s of g.steps) byStep[s.kind] = (byStep[s.kind] ?? 0) + stepMs(s);
    return { unit: g.id, ms: Object.values(byStep).reduce((a, b) => a + b, 0), byStep };
  };
  const paths = plan.groups.map(unitPath);
  const longestUnit = paths.reduce((a, b) => (b.ms > a.ms ? b : a), { unit: '', ms: 0, byStep: {} });
  const totalWorkMs = paths.reduce((n, p) => n + p.ms, 0);
  const parallelUnits = Math.max(1, plan.parallelism.maxParallelUnits);
  return {
    longestUnit,
    totalWorkMs,
    parallelUnits,
    boundMs: Math.max(longestUnit.ms, totalWorkMs / parallelUnits),
  };
}

// ---------------------------------------------------------------------------------------------
// (1) Bascule.

interface BasculeRun {
  plan: Plan;
  wallMs: number;
  run: RunRecord;
  /** Wall clock (ms since the epoch) of the submit. */
  submittedAt: number;
  /** Median of three full inventory reads on the idle lab (what a step read before scoping). */
  inventoryReadMs: number;
  /** The same for the scoped read a step now makes (one unit's VMs and datastore). */
  scopedReadMs: number;
  /** Most abort listeners seen at once on the engine's shared signal, and how many were left. */
  peakListeners: number;
  listenersLeft: number;
}

export async function runBascule(lab: BenchLab, units: string[], timeScale: number): Promise<BasculeRun> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const prefix = `bench-makespan-${randomBytes(4).toString('hex')}`;
  const control = new RunControl(redis, prefix);
  const services = createStepServices({
    topology: lab.topology,
    env: lab.env,
    store: () => control.store,
    pollIntervalMs: 10,
  });
  const engine = startRunEngine<StepContext>({
    redis,
    prefix,
    executors: stepExecutors,
    makeContext: (base) => services.makeContext(base),
    replan: (run, approved) => services.replan(run, approved),
    log: pino({ level: process.env.BENCH_LOG_LEVEL ?? 'silent' }),
    // The engine's waits are wall-clock; the slot poll (1 s in production) is scaled like the lab.
    timings: { slotPollMs: Math.max(10, Math.round(1_000 * timeScale)) },
  });
  try {
    const pre = await gatherPreflight(
      { topology: lab.topology, env: lab.env, activeRuns: () => activeRuns(control.store) },
      { kind: 'migrate', from: FROM, to: TO, datastores: units, forceOff: true },
    );
    const blocking = pre.findings.filter((f) => f.severity === 'block');
    if (pre.blocked || blocking.length > 0) {
      throw new Error(`preflight blocked: ${blocking.map((f) => `${f.code} ${f.message}`).join('; ')}`);
    }
    if (pre.plan.groups.length !== units.length) {
      throw new Error(`the plan has ${pre.plan.groups.length} groups for ${units.length} units`);
    }
    // What one step's readWorld costs before the run (the lab otherwise idle): a diagnostic.
    const probe = await connectVsphere(lab.topology, lab.env);
    const reads: number[] = [];
    const scopedReads: number[] = [];
    // What a step reads now: one unit's VMs by name and its datastore (steps/world.ts vmScope).
    const scope = {
      vmNames:
        pre.plan.groups[0]?.steps.flatMap((st) =>
          st.kind === 'shutdown-vms' ? st.vms.map((v) => v.name) : [],
        ) ?? [],
      datastoreNames: units.slice(0, 1),
    };
    try {
      for (let i = 0; i < 3; i++) {
        let r0 = performance.now();
        await probe.inventory();
        reads.push(performance.now() - r0);
        r0 = performance.now();
        await probe.scopedInventory(scope);
        scopedReads.push(performance.now() - r0);
      }
    } finally {
      await probe.close().catch(() => undefined);
    }
    const inventoryReadMs = [...reads].sort((a, b) => a - b)[1] ?? 0;
    const scopedReadMs = [...scopedReads].sort((a, b) => a - b)[1] ?? 0;
    const submittedAt = Date.now();
    const t0 = performance.now();
    const submitted = await control.submit({ plan: pre.plan, requestedBy: 'alice' });
    await control.approve(submitted.id, 'bob');
    const deadline = Date.now() + 600_000;
    // Abort listeners on the signal every unit job of the worker shares: each wait must take its
    // own off when it ends, so the count follows the waits in flight and ends at zero.
    const listeners = () => getEventListeners(engine.env.signal, 'abort').length;
    let peakListeners = 0;
    for (;;) {
      peakListeners = Math.max(peakListeners, listeners());
      // The status alone: the poller shares the worker's CPU, and a full read decodes every unit.
      const status = await control.store.status(submitted.id);
      if (isTerminal(status)) break;
      if (Date.now() > deadline) throw new Error(`run ${submitted.id} still ${status} after 600 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const wallMs = performance.now() - t0;
    const listenersLeft = listeners();
    const run = await control.store.require(submitted.id);
    if (run.status !== 'succeeded') {
      const failed = Object.values(run.units).flatMap((u) =>
        u.steps.filter((s) => s.error).map((s) => `${u.id} ${s.kind}: ${s.error?.message}`),
      );
      throw new Error(`run ${run.id} ${run.status}: ${run.error?.message ?? failed.join('; ')}`);
    }
    return {
      plan: pre.plan,
      wallMs,
      run,
      submittedAt,
      inventoryReadMs,
      scopedReadMs,
      peakListeners,
      listenersLeft,
    };
  } finally {
    await engine.close().catch(() => undefined);
    await services.close().catch(() => undefined);
    await control.close().catch(() => undefined);
    await deleteKeysUnder(redis, prefix);
    await redis.quit().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// (2) The sequential script.

async function runSequential(
  lab: BenchLab,
  unitIds: string[],
): Promise<{ wallMs: number; perUnitMs: number[] }> {
  const vsphere = await connectVsphere(lab.topology, lab.env);
  const replication = buildReplicationAdapters(lab.topology, lab.env, { pollIntervalMs: 10 });
  try {
    // What the script knows before it starts (its list of VMs, hosts, ids): not timed, as
    // Bascule's preflight is not.
    const inv = await vsphere.inventory();
    const dc = inv.datacenters[0];
    const dest = inv.clusters.find((c) => c.name === TO);
    if (!dc || !dest) throw new Error(`no datacenter or no ${TO} cluster in the inventory`);
    const destHosts = inv.hosts
      .filter((h) => h.cluster === dest.id)
      .sort((a, b) => a.name.localeCompare(b.name));
    const units = protectedUnits(lab.topology);
    const perUnitMs: number[] = [];
    const t0 = performance.now();
    for (const id of unitIds) {
      const u0 = performance.now();
      const unit = units.find((u) => u.id === id);
      const ds = inv.datastores.find((d) => d.name === id);
      if (!unit || !ds || ds.vmfsUuid === null) throw new Error(`unit ${id} not found`);
      const uuid = ds.vmfsUuid;
      const vms = inv.vms.filter((v) => v.datastores.includes(ds.id));
      for (const vm of vms)
        await vsphere.shutdownGuest(vm.id, { timeoutMs: 300_000, forceOffAfterTimeout: true });
      for (const vm of vms) await vsphere.unregister(vm.id);
      for (const host of ds.hosts) await vsphere.unmountVmfs(host, uuid);
      await replication.forUnit(unit).switchover(unit, TO);
      for (const host of destHosts) await vsphere.rescanAllHba(host.id);
      for (const host of destHosts) {
        const copy = (await vsphere.queryUnresolvedVmfs(host.id)).find((c) => c.vmfsUuid === uuid);
        if (!copy) throw new Error(`${id}: replica not visible on ${host.name}`);
        await vsphere.resolveUnresolvedVmfs(
          host.id,
          copy.extents.map((e) => e.devicePath),
          'forceMount',
        );
      }
      const ids: string[] = [];
      for (const [i, vm] of vms.entries()) {
        const host = destHosts[i % destHosts.length];
        const out = await vsphere.register(vm.vmxPath, {
          datacenter: dc.id,
          folder: dc.vmFolder,
          pool: dest.resourcePool,
          ...(host ? { host: host.id } : {}),
          name: vm.name,
        });
        ids.push(out.vm.value);
      }
      for (const vmId of ids) await vsphere.powerOn(vmId);
      perUnitMs.push(performance.now() - u0);
    }
    const wallMs = performance.now() - t0;
    // Read back: every VM registered once, on the destination, powered on.
    const after = await vsphere.inventory();
    const destIds = new Set(destHosts.map((h) => h.id));
    const moved = inv.vms.filter((v) =>
      unitIds.some((u) => v.datastores.includes(inv.datastores.find((d) => d.name === u)?.id ?? '')),
    );
    const wrong = moved.filter((v) => {
      const now = after.vms.filter((x) => x.name === v.name);
      return now.length !== 1 || now[0]?.powerState !== 'poweredOn' || !destIds.has(now[0]?.host ?? '');
    });
    if (wrong.length > 0) throw new Error(`sequential script left ${wrong.length} VMs misplaced`);
    return { wallMs, perUnitMs };
  } finally {
    await replication.close().catch(() => undefined);
    await vsphere.close().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------

function row(cells: string[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(44) : c.padStart(10))).join(' ');
}

const sec = (ms: number) => (ms / 1000).toFixed(2);

function spanMs(a: string | null, b: string | null): number | null {
  return a === null || b === null ? null : Date.parse(b) - Date.parse(a);
}

export async function benchMakespan(o: MakespanOptions = {}): Promise<MakespanResult> {
  const log = o.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const timeScale = o.timeScale ?? 0.25;
  const nDs = o.datastores ?? 20;
  const perDs = o.vmsPerDatastore ?? 10;
  const hostsPerSite = o.hostsPerSite ?? 4;
  const concurrentDatastores = o.concurrentDatastores ?? 4;
  const model = makespanModel(nDs, perDs, hostsPerSite);
  const unitIds = model.datastores.map((d) => d.name);
  log(
    `makespan: ${nDs} cold datastores × ${perDs} VMs (${model.vms.length}), ${hostsPerSite} hosts per site, ` +
      `${FROM} → ${TO}, time scale ${timeScale}, limits.concurrentDatastores=${concurrentDatastores}`,
  );

  // (1) Bascule, on a lab of its own.
  let t = performance.now();
  let lab = await startBenchLab(model, timeScale, concurrentDatastores);
  log(`lab up in ${sec(performance.now() - t)} s`);
  let bascule: BasculeRun;
  try {
    bascule = await runBascule(lab, unitIds, timeScale);
  } finally {
    await lab.stop();
  }

  // (2) The sequential script, on a fresh lab: same direction, same starting state.
  t = performance.now();
  lab = await startBenchLab(model, timeScale, concurrentDatastores);
  log(`fresh lab up in ${sec(performance.now() - t)} s`);
  let sequential: { wallMs: number; perUnitMs: number[] };
  try {
    sequential = await runSequential(lab, unitIds);
  } finally {
    await lab.stop();
  }

  // (3) The bound, from the plan Bascule ran.
  const bound = criticalPathBound(bascule.plan, model.taskDurationsMs, timeScale);

  // Where Bascule's time went: per step kind, mean measured time vs the bound's share.
  const units = Object.values(bascule.run.units);
  const kinds = bascule.plan.groups[0]?.steps.map((s) => s.kind) ?? [];
  log('');
  log(`bound, per unit (${bound.longestUnit.unit}) vs Bascule measured mean per unit:`);
  log(row(['step', 'bound ms', 'mean ms', 'max ms']));
  for (const [i, kind] of kinds.entries()) {
    const spans = units
      .map((u) => spanMs(u.steps[i]?.startedAt ?? null, u.steps[i]?.endedAt ?? null))
      .filter((x): x is number => x !== null);
    const mean = spans.reduce((a, b) => a + b, 0) / Math.max(1, spans.length);
    log(
      row([
        kind,
        (bound.longestUnit.byStep[kind] ?? 0).toFixed(0),
        mean.toFixed(0),
        Math.max(0, ...spans).toFixed(0),
      ]),
    );
  }
  const unitSpans = units.map((u) => spanMs(u.startedAt, u.endedAt)).filter((x): x is number => x !== null);
  const meanUnit = unitSpans.reduce((a, b) => a + b, 0) / Math.max(1, unitSpans.length);
  log(
    row([
      'unit total',
      bound.longestUnit.ms.toFixed(0),
      meanUnit.toFixed(0),
      Math.max(0, ...unitSpans).toFixed(0),
    ]),
  );
  const runSpan = spanMs(bascule.run.startedAt, bascule.run.endedAt);
  const laneWork = unitSpans.reduce((a, b) => a + b, 0) / bound.parallelUnits;
  log(
    `Bascule lanes: Σ unit times / ${bound.parallelUnits} = ${sec(laneWork)} s of a ${sec(bascule.wallMs)} s wall time ` +
      `(${((laneWork / bascule.wallMs) * 100).toFixed(0)} % busy): the rest of the gap is inside the units`,
  );
  const meanSeqUnit =
    sequential.perUnitMs.reduce((a, b) => a + b, 0) / Math.max(1, sequential.perUnitMs.length);
  log(
    `bound = max(longest unit ${sec(bound.longestUnit.ms)} s, total work ${sec(bound.totalWorkMs)} s / ` +
      `${bound.parallelUnits} parallel units = ${sec(bound.totalWorkMs / bound.parallelUnits)} s) = ${sec(bound.boundMs)} s`,
  );
  const firstStart = Math.min(
    ...units.map((u) => (u.startedAt === null ? Number.POSITIVE_INFINITY : Date.parse(u.startedAt))),
  );
  log(
    `Bascule overheads: ${sec(firstStart - bascule.submittedAt)} s from submit to the first unit's start ` +
      `(approve, queueing, replan); on the idle lab one full inventory read ${bascule.inventoryReadMs.toFixed(0)} ms, ` +
      `one scoped read ${bascule.scopedReadMs.toFixed(0)} ms (every step but rescan and switch starts with one, ` +
      `unregister has two)`,
  );
  log(
    `abort listeners on the engine's shared signal: at most ${bascule.peakListeners} at once, ` +
      `${bascule.listenersLeft} left after the run`,
  );
  log(
    `Bascule: run record ${runSpan === null ? '?' : sec(runSpan)} s from start to end (wall time includes submit, ` +
      `approve, queueing and the pre-run replan); sequential: ${sec(meanSeqUnit)} s per datastore`,
  );

  const result: MakespanResult = {
    timeScale,
    units: nDs,
    vms: model.vms.length,
    boundMs: bound.boundMs,
    basculeMs: bascule.wallMs,
    sequentialMs: sequential.wallMs,
    ratioBound: bascule.wallMs / bound.boundMs,
    speedupSequential: sequential.wallMs / bascule.wallMs,
  };
  log('');
  log(row(['measure', 'wall s', '× bound', 'lab-1 min']));
  const labMin = (ms: number) => (ms / timeScale / 60_000).toFixed(1);
  log(row(['critical-path lower bound', sec(bound.boundMs), '1.00', labMin(bound.boundMs)]));
  log(
    row([
      `Bascule (run engine, ${bound.parallelUnits} units at once)`,
      sec(bascule.wallMs),
      result.ratioBound.toFixed(2),
      labMin(bascule.wallMs),
    ]),
  );
  log(
    row([
      'sequential script (1 datastore, 1 VM at once)',
      sec(sequential.wallMs),
      (sequential.wallMs / bound.boundMs).toFixed(2),
      labMin(sequential.wallMs),
    ]),
  );
  log(`targets: ratio_bound ≤ 1.2, speedup_sequential ≥ 5 ('lab-1 min': the same at time scale 1)`);
  log(
    `RESULT makespan ratio_bound=${result.ratioBound.toFixed(3)} speedup_sequential=${result.speedupSequential.toFixed(2)}`,
  );
  return result;
}

/** `npm run bench -- makespan [timeScale]` */
export async function main(args: string[] = []): Promise<number> {
  const scale = args[0] === undefined ? undefined : Number(args[0]);
  const result = await benchMakespan(
    scale !== undefined && Number.isFinite(scale) && scale > 0 ? { timeScale: scale } : {},
  );
  return result.ratioBound <= 1.2 && result.speedupSequential >= 5 ? 0 : 1;
}
