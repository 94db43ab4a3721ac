import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { type Lab, startLab } from '../../lab/lab.js';
import type { LabModel } from '../../lab/model.js';
import { VcsimControlClient } from '../../lab/vcsim/control-client.js';
import {
  buildReplicationAdapters,
  type ReplicationAdapters,
} from '../../src/adapters/replication/registry.js';
import { tlsFromConfig, VsphereClient } from '../../src/adapters/vsphere/index.js';
import { readObject } from '../../src/adapters/vsphere/retrieve.js';
import type { Topology } from '../../src/config/schema.js';
import { parseTopology, protectedUnits } from '../../src/config/topology.js';
import type { Plan, PlanStep, StepKind, UnitPlan } from '../../src/domain/plan/types.js';
import { runPreflight } from '../../src/domain/preflight/run-preflight.js';
import type { MoveRequest, PreflightResult } from '../../src/domain/preflight/types.js';
import type { ReplicationStatus } from '../../src/domain/replication.js';
import { stepExecutors } from '../../src/jobs/steps/index.js';
import type { StepContext, StepOutcome, StepProgress } from '../../src/jobs/steps/types.js';

// A StepContext on a running in-process lab (vCenter simulator over HTTPS with the lab CA, SSH
// Storwize arrays, DSM, Zerto): the clients are built the way the worker builds them, from the
// generated sites.yaml and lab.env, so an executor test exercises the real wiring.

export interface LabVmState {
  name: string;
  moref: string;
  host: string | null;
  site: string | null;
  powerState: string | null;
  registered: boolean;
  datastores: string[];
  vmxPath: string;
  numCpu: number;
  memoryMb: number;
}

export interface LabState {
  vms: LabVmState[];
  datastores: Array<{
    name: string;
    moref: string;
    vmfsUuid: string;
    mountedOn: string[];
    accessible: boolean;
  }>;
  unresolved: Array<{ host: string; datastore: string; vmfsUuid: string; devicePath: string }>;
}

export interface TaskRecord {
  id: string;
  method: string;
  entityName: string;
  startNs: bigint;
  completeNs: bigint;
}

/** `2026-11-25T20:32:13.1234567Z` → ns since the epoch (Date.parse keeps only ms). */
function isoToNs(iso: string): bigint {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(iso);
  if (!m) throw new Error(`not an ISO time: ${iso}`);
  const seconds = BigInt(Date.parse(`${m[1]}${m[3]}`)) / 1000n;
  return seconds * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0').slice(0, 9));
}

export interface StepHarness {
  lab: Lab;
  model: LabModel;
  topology: Topology;
  env: Record<string, string>;
  vsphere: VsphereClient;
  replication: ReplicationAdapters;
  /** Every progress report of every step run through this harness, in order. */
  progress: StepProgress[];
  context(unitId: string, signal?: AbortSignal): StepContext;
  /** Runs one step with the matching executor. */
  run(step: PlanStep, unitId: string, signal?: AbortSignal): Promise<StepOutcome>;
  /** Preflight on a fresh inventory and live replication status, as `bascule preflight` does. */
  preflight(request: Partial<MoveRequest>): Promise<PreflightResult>;
  /** vcsim's GET /lab/state. */
  state(): Promise<LabState>;
  control(path: string, body?: unknown): Promise<unknown>;
  /** Morefs in vCenter's TaskManager.recentTask: a new one means a task was started. */
  recentTasks(): Promise<string[]>;
  /** What vCenter recorded of these tasks; times in ns since the epoch, so they order exactly. */
  tasks(ids: readonly string[]): Promise<TaskRecord[]>;
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

export async function startStepHarness(options: { timeScale?: number } = {}): Promise<StepHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'bascule-steps-'));
  const lab = await startLab({ size: 'small', dir, timeScale: options.timeScale ?? 0.01, detached: false });
  const vcsim = new VcsimControlClient(lab.info.vcsim.controlUrl, await readFile(lab.info.files.ca, 'utf8'));
  let vsphere: VsphereClient | undefined;
  let replication: ReplicationAdapters | undefined;
  const stop = async () => {
    try {
      await replication?.close();
      await vsphere?.close();
      await vcsim.close();
    } finally {
      await lab.stop();
      await rm(dir, { recursive: true, force: true });
    }
  };
  try {
    const model = JSON.parse(await readFile(lab.info.files.model, 'utf8')) as LabModel;
    const topology = parseTopology(
      await readFile(lab.info.files.sitesYaml, 'utf8'),
      lab.info.files.sitesYaml,
    );
    const env = parseEnv(await readFile(lab.info.files.env, 'utf8'));
    const site = topology.sites[0];
    if (!site) throw new Error('the lab topology has no site');
    vsphere = await VsphereClient.connect({
      url: site.vcenter.url,
      tls: await tlsFromConfig(site.vcenter),
      userName: env[site.vcenter.userEnv] ?? '',
      password: env[site.vcenter.passwordEnv] ?? '',
    });
    replication = buildReplicationAdapters(topology, env, { pollIntervalMs: 10 });
    const client = vsphere;
    const adapters = replication;
    const progress: StepProgress[] = [];
    const log = pino({ level: 'silent' });

    const context = (unitId: string, signal = new AbortController().signal): StepContext => ({
      runId: 'run-test',
      unitId,
      topology,
      vsphere: client,
      replication: adapters,
      log,
      signal,
      progress: (p) => progress.push(p),
      inventory: () => client.inventory(),
    });

    const control = (path: string, body?: unknown): Promise<unknown> =>
      body === undefined ? vcsim.get(path) : vcsim.post(path, body);

    return {
      lab,
      model,
      topology,
      env,
      vsphere: client,
      replication: adapters,
      progress,
      context,
      run(step, unitId, signal) {
        const executor = stepExecutors[step.kind] as (s: PlanStep, c: StepContext) => Promise<StepOutcome>;
        return executor(step, context(unitId, signal));
      },
      async preflight(req) {
        const units = protectedUnits(topology);
        const statuses = new Map<string, ReplicationStatus>();
        for (const u of units) statuses.set(u.id, await adapters.forUnit(u).status(u));
        const to = req.to ?? 'lognes';
        const recovery = new Map<string, string>();
        for (const vpg of model.vpgs) {
          const ds = vpg.recoveryDatastore[to];
          if (ds !== undefined && vpg.site !== to) recovery.set(vpg.name, ds);
        }
        return runPreflight({
          inventory: await client.inventory(),
          topology,
          units,
          replication: statuses,
          request: { kind: 'migrate', from: 'site5', to, forceOff: true, ...req },
          activeRuns: [],
          now: new Date(),
          zertoRecoveryDatastores: recovery,
        });
      },
      state: async () => (await control('/state')) as LabState,
      control,
      async recentTasks() {
        const tm = client.session.content.taskManager;
        if (!tm) return [];
        const props = await readObject(client.session, tm, ['recentTask']);
        return (props?.get('recentTask')?.children ?? []).map((c) => c.text);
      },
      async tasks(ids) {
        const out: TaskRecord[] = [];
        for (const id of ids) {
          const props = await readObject(client.session, { type: 'Task', value: id }, ['info']);
          const info = props?.get('info');
          const field = (name: string) => info?.children?.find((c) => c.name === name)?.text ?? '';
          out.push({
            id,
            method: field('name'),
            entityName: field('entityName'),
            startNs: isoToNs(field('startTime')),
            completeNs: isoToNs(field('completeTime')),
          });
        }
        return out;
      },
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

/** The plan's group for one unit. */
export function groupOf(plan: Plan, unitId: string): UnitPlan {
  const group = plan.groups.find((g) => g.units.includes(unitId));
  if (!group)
    throw new Error(`the plan has no group for ${unitId}: ${plan.groups.map((g) => g.id).join(', ')}`);
  return group;
}

/** The first step of a kind in a group. */
export function stepOf<K extends StepKind>(group: UnitPlan, kind: K): Extract<PlanStep, { kind: K }> {
  const step = group.steps.find((s): s is Extract<PlanStep, { kind: K }> => s.kind === kind);
  if (!step)
    throw new Error(`group ${group.id} has no ${kind} step: ${group.steps.map((s) => s.kind).join(', ')}`);
  return step;
}
