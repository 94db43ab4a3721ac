import { randomUUID } from 'node:crypto';
import type { LabModel, LabVpg } from '../model.js';
import { Timers } from '../shared/http.js';
import type { ZertoDurations } from './types.js';
import type { VcsimControl } from './vcsim.js';

// VPGs and their tasks. Enum values are Zerto's (ZertoPublic common.py); which SubStatus a VPG shows
// at each step, and that a rolled-back move task ends Stopped (5), are this stand-in's reading of
// the enum names, not documented sequences. Task types for FailoverRollback, pause and resume are
// not in the public tables and are invented here (45, 46, 47).

export const Status = {
  Initializing: 0,
  MeetingSLA: 1,
  NotMeetingSLA: 2,
  Moving: 6,
  FailingOver: 5,
  Recovered: 8,
};
export const Sub = {
  None: 0,
  DeltaSync: 6,
  NeedsConfiguration: 7,
  FailingOverCommitting: 14,
  FailingOverBeforeCommit: 15,
  FailingOverRollingBack: 16,
  MovingCommitting: 18,
  MovingBeforeCommit: 19,
  MovingRollingBack: 20,
  DisconnectedFromPeer: 24,
  ReplicationPausedUserInitiated: 25,
};
export const TaskState = { InProgress: 1, WaitingForUserInput: 2, Failed: 4, Stopped: 5, Completed: 6 };
export const TaskType = {
  FailOver: 2,
  FailOverTest: 3,
  StopFailOverTest: 4,
  Move: 5,
  MoveRollback: 37,
  MoveCommit: 38,
  FailoverCommit: 44,
  FailoverRollback: 45,
  Pause: 46,
  Resume: 47,
};

export const defaultDurations: ZertoDurations = {
  shutdown: 3_000,
  recover: 5_000,
  commit: 3_000,
  rollback: 4_000,
  deltaSync: 6_000,
  failoverTest: 4_000,
  failoverTestStop: 2_000,
};

export type CommitPolicy = 'Rollback' | 'Commit' | 'None';

export interface Task {
  id: string;
  type: number;
  vpgId: string;
  state: number;
  progress: number;
  started: string;
  completed: string | null;
  completeReason: string | null;
}

interface Placement {
  host: string;
  datastore: string;
  site: string;
  powerOn: boolean;
}

interface Operation {
  kind: 'move' | 'failover';
  task: Task;
  reverseProtection: boolean;
  phase: 'running' | 'before-commit' | 'ending';
  before: Map<string, Placement>;
}

export interface Vpg {
  index: number;
  id: string;
  name: string;
  protectedSite: string;
  recoverySite: string;
  vms: string[];
  recoveryDatastore: Record<string, string>;
  status: number;
  subStatus: number;
  sync: { startedAt: number; durationMs: number } | null;
  operation: Operation | null;
  test: { startedAt: string } | null;
  lastTest: string | null;
  disconnectedAt: number | null;
}

export class ActionError extends Error {}

export class ZertoState {
  readonly vpgs: Vpg[];
  readonly tasks = new Map<string, Task>();
  readonly placement = new Map<string, Placement>();
  readonly siteIds: Record<string, string>;
  readonly timers = new Timers();
  durations: ZertoDurations;
  timeScale: number;
  failNext: string | null = null;
  peerConnected = true;

  constructor(
    private readonly model: LabModel,
    timeScale: number,
    durations: Partial<ZertoDurations>,
    private readonly vcsim: VcsimControl | null,
  ) {
    this.timeScale = timeScale;
    this.durations = { ...defaultDurations, ...durations };
    this.siteIds = Object.fromEntries(model.sites.map((s) => [s, randomUUID()]));
    const siteOfHost = new Map(model.hosts.map((h) => [h.name, h.site]));
    for (const vm of model.vms) {
      this.placement.set(vm.name, {
        host: vm.host,
        datastore: vm.datastores[0] ?? '',
        site: siteOfHost.get(vm.host) ?? '',
        powerOn: vm.powerOn,
      });
    }
    this.vpgs = model.vpgs.map((v: LabVpg, index) => ({
      index,
      id: randomUUID(),
      name: v.name,
      protectedSite: v.site,
      recoverySite: model.sites.find((s) => s !== v.site) ?? v.site,
      vms: [...v.vms],
      recoveryDatastore: { ...v.recoveryDatastore },
      status: Status.MeetingSLA,
      subStatus: Sub.None,
      sync: null,
      operation: null,
      test: null,
      lastTest: null,
      disconnectedAt: null,
    }));
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => this.timers.after(ms * this.timeScale, resolve));
  }

  vpgByName(name: string): Vpg {
    const v = this.vpgs.find((x) => x.name === name);
    if (!v) throw new Error(`no VPG ${name} in the Zerto stand-in`);
    return v;
  }

  newTask(vpg: Vpg, type: number): Task {
    const task: Task = {
      id: `${randomUUID()}.${randomUUID()}`,
      type,
      vpgId: vpg.id,
      state: TaskState.InProgress,
      progress: 0,
      started: new Date().toISOString(),
      completed: null,
      completeReason: null,
    };
    this.tasks.set(task.id, task);
    return task;
  }

  private end(task: Task, state: number, reason: string | null): void {
    task.state = state;
    task.progress = state === TaskState.Completed ? 100 : task.progress;
    task.completed = new Date().toISOString();
    task.completeReason = reason;
  }

  /** Runs a task's steps; a thrown error (or an injected fault) fails the task and calls undo. */
  private run(task: Task, steps: () => Promise<void>, undo: () => void): void {
    const injected = this.failNext;
    this.failNext = null;
    const body = async () => {
      await this.wait(1);
      if (injected !== null) throw new ActionError(injected);
      await steps();
    };
    body().catch((err: unknown) => {
      undo();
      this.end(task, TaskState.Failed, err instanceof Error ? err.message : String(err));
    });
  }

  private usable(vpg: Vpg, action: string): void {
    if (vpg.operation) {
      throw new ActionError(
        `VPG ${vpg.name} is busy with a ${vpg.operation.kind}; ${action} is not possible.`,
      );
    }
    if (vpg.test) {
      throw new ActionError(`VPG ${vpg.name} has a failover test running; stop it before ${action}.`);
    }
  }

  startMove(
    vpg: Vpg,
    o: { commitPolicy: CommitPolicy; timeoutSec: number; forceShutdown: boolean; reverseProtection: boolean },
  ): Task {
    this.usable(vpg, 'a move');
    if (!this.peerConnected) throw new ActionError('The peer site is disconnected; a move needs both sites.');
    if (vpg.status === Status.Recovered) {
      throw new ActionError(`VPG ${vpg.name} needs configuration before it can move.`);
    }
    return this.startRecovery(vpg, 'move', TaskType.Move, {
      ...o,
      shutdown: o.forceShutdown ? 'force' : 'graceful',
    });
  }

  startFailover(
    vpg: Vpg,
    o: { commitPolicy: CommitPolicy; timeoutSec: number; shutdownPolicy: number; reverseProtection: boolean },
  ): Task {
    this.usable(vpg, 'a failover');
    const shutdown =
      !this.peerConnected || o.shutdownPolicy === 0 ? 'none' : o.shutdownPolicy === 1 ? 'graceful' : 'force';
    return this.startRecovery(vpg, 'failover', TaskType.FailOver, { ...o, shutdown });
  }

  private startRecovery(
    vpg: Vpg,
    kind: 'move' | 'failover',
    type: number,
    o: {
      commitPolicy: CommitPolicy;
      timeoutSec: number;
      shutdown: 'none' | 'graceful' | 'force';
      reverseProtection: boolean;
    },
  ): Task {
    const task = this.newTask(vpg, type);
    const before = new Map(vpg.vms.map((vm) => [vm, { ...(this.placement.get(vm) as Placement) }]));
    const op: Operation = { kind, task, reverseProtection: o.reverseProtection, phase: 'running', before };
    const previous = { status: vpg.status, subStatus: vpg.subStatus };
    vpg.operation = op;
    vpg.sync = null;
    vpg.status = kind === 'move' ? Status.Moving : Status.FailingOver;
    vpg.subStatus = Sub.None;
    this.run(
      task,
      async () => {
        if (o.shutdown !== 'none') {
          const noTools = vpg.vms.filter(
            (vm) => this.model.vms.find((m) => m.name === vm)?.toolsRunning === false,
          );
          if (o.shutdown === 'graceful' && noTools.length > 0) {
            throw new ActionError(
              `Cannot shut down ${noTools.join(', ')} gracefully: VMware Tools is not running.`,
            );
          }
          await this.wait(this.durations.shutdown);
          for (const vm of vpg.vms) await this.power(vm, false);
        }
        task.progress = 25;
        await this.wait(this.durations.recover);
        const hosts = this.model.hosts.filter((h) => h.site === vpg.recoverySite);
        for (const [i, vm] of vpg.vms.entries()) {
          const host = hosts[i % hosts.length];
          if (!host) throw new ActionError(`No host on ${vpg.recoverySite} to recover ${vm} on.`);
          await this.relocate(vm, host.name, vpg.recoveryDatastore[vpg.recoverySite] ?? '', vpg.recoverySite);
        }
        task.progress = 50;
        op.phase = 'before-commit';
        vpg.subStatus = kind === 'move' ? Sub.MovingBeforeCommit : Sub.FailingOverBeforeCommit;
        if (o.commitPolicy === 'None') {
          task.state = TaskState.WaitingForUserInput;
          return;
        }
        await this.wait(o.timeoutSec * 1_000);
        if (vpg.operation !== op || op.phase !== 'before-commit') return;
        if (o.commitPolicy === 'Commit') this.commit(vpg, undefined);
        else this.rollback(vpg);
      },
      () => {
        vpg.operation = null;
        vpg.status = previous.status;
        vpg.subStatus = previous.subStatus;
      },
    );
    return task;
  }

  commit(vpg: Vpg, reverseProtection: boolean | undefined): Task {
    const op = vpg.operation;
    if (op?.phase !== 'before-commit') {
      throw new ActionError(`VPG ${vpg.name} is not waiting for a commit.`);
    }
    const reverse = reverseProtection ?? op.reverseProtection;
    if (reverse && !this.peerConnected) {
      throw new ActionError(
        'Reverse protection needs the peer site; commit without it while the peer is disconnected.',
      );
    }
    op.phase = 'ending';
    const task = this.newTask(vpg, op.kind === 'move' ? TaskType.MoveCommit : TaskType.FailoverCommit);
    vpg.subStatus = op.kind === 'move' ? Sub.MovingCommitting : Sub.FailingOverCommitting;
    this.run(
      task,
      async () => {
        await this.wait(this.durations.commit);
        vpg.operation = null;
        this.end(op.task, TaskState.Completed, null);
        this.end(task, TaskState.Completed, null);
        if (reverse) {
          [vpg.protectedSite, vpg.recoverySite] = [vpg.recoverySite, vpg.protectedSite];
          this.startSync(vpg, Status.Initializing);
        } else {
          // Nothing protects the VMs any more: they run on the recovery site until reconfigured.
          vpg.status = Status.Recovered;
          vpg.subStatus = Sub.NeedsConfiguration;
        }
      },
      () => {
        op.phase = 'before-commit';
        vpg.subStatus = op.kind === 'move' ? Sub.MovingBeforeCommit : Sub.FailingOverBeforeCommit;
      },
    );
    return task;
  }

  rollback(vpg: Vpg): Task {
    const op = vpg.operation;
    if (op?.phase !== 'before-commit') {
      throw new ActionError(`VPG ${vpg.name} is not waiting for a commit.`);
    }
    op.phase = 'ending';
    const task = this.newTask(vpg, op.kind === 'move' ? TaskType.MoveRollback : TaskType.FailoverRollback);
    vpg.subStatus = op.kind === 'move' ? Sub.MovingRollingBack : Sub.FailingOverRollingBack;
    this.run(
      task,
      async () => {
        await this.wait(this.durations.rollback);
        for (const [vm, p] of op.before) await this.relocate(vm, p.host, p.datastore, p.site, p.powerOn);
        vpg.operation = null;
        this.end(op.task, TaskState.Stopped, 'Rolled back');
        this.end(task, TaskState.Completed, null);
        this.startSync(vpg, Status.NotMeetingSLA);
      },
      () => {
        op.phase = 'before-commit';
        vpg.subStatus = op.kind === 'move' ? Sub.MovingBeforeCommit : Sub.FailingOverBeforeCommit;
      },
    );
    return task;
  }

  startTest(vpg: Vpg): Task {
    this.usable(vpg, 'a failover test');
    const task = this.newTask(vpg, TaskType.FailOverTest);
    vpg.test = { startedAt: new Date().toISOString() };
    this.run(
      task,
      async () => {
        await this.wait(this.durations.failoverTest);
        // The copies run at the recovery site, production stays where it is.
        const datastore = vpg.recoveryDatastore[vpg.recoverySite] ?? '';
        for (const vm of vpg.vms) await this.testCopy(vm, vpg.recoverySite, true, datastore);
        this.end(task, TaskState.Completed, null);
      },
      () => {
        vpg.test = null;
      },
    );
    return task;
  }

  stopTest(vpg: Vpg, success: boolean, summary: string): Task {
    if (!vpg.test) throw new ActionError(`VPG ${vpg.name} has no failover test running.`);
    const task = this.newTask(vpg, TaskType.StopFailOverTest);
    this.run(
      task,
      async () => {
        await this.wait(this.durations.failoverTestStop);
        for (const vm of vpg.vms) await this.testCopy(vm, vpg.recoverySite, false);
        vpg.test = null;
        vpg.lastTest = `${new Date().toISOString()} ${success ? 'Succeeded' : 'Failed'}: ${summary}`;
        this.end(task, TaskState.Completed, null);
      },
      () => undefined,
    );
    return task;
  }

  pause(vpg: Vpg): Task {
    this.usable(vpg, 'pausing');
    const task = this.newTask(vpg, TaskType.Pause);
    vpg.sync = null;
    vpg.status = Status.NotMeetingSLA;
    vpg.subStatus = Sub.ReplicationPausedUserInitiated;
    this.end(task, TaskState.Completed, null);
    return task;
  }

  resume(vpg: Vpg): Task {
    if (vpg.subStatus !== Sub.ReplicationPausedUserInitiated) {
      throw new ActionError(`VPG ${vpg.name} is not paused.`);
    }
    const task = this.newTask(vpg, TaskType.Resume);
    if (this.peerConnected) this.startSync(vpg, Status.NotMeetingSLA);
    else vpg.subStatus = Sub.DisconnectedFromPeer;
    this.end(task, TaskState.Completed, null);
    return task;
  }

  disconnect(): void {
    this.peerConnected = false;
    for (const vpg of this.vpgs) {
      if (vpg.operation || vpg.status === Status.Recovered) continue;
      vpg.sync = null;
      vpg.disconnectedAt = Date.now();
      vpg.status = Status.NotMeetingSLA;
      vpg.subStatus = Sub.DisconnectedFromPeer;
    }
  }

  reconnect(): void {
    this.peerConnected = true;
    for (const vpg of this.vpgs) {
      if (vpg.subStatus !== Sub.DisconnectedFromPeer) continue;
      vpg.disconnectedAt = null;
      this.startSync(vpg, Status.NotMeetingSLA);
    }
  }

  private startSync(vpg: Vpg, status: number): void {
    const sync = { startedAt: Date.now(), durationMs: this.durations.deltaSync * this.timeScale };
    vpg.sync = sync;
    vpg.status = status;
    vpg.subStatus = Sub.DeltaSync;
    this.timers.after(sync.durationMs, () => {
      if (vpg.sync !== sync) return;
      vpg.sync = null;
      vpg.status = Status.MeetingSLA;
      vpg.subStatus = Sub.None;
    });
  }

  syncPercent(vpg: Vpg): number {
    if (!vpg.sync) return 0;
    if (vpg.sync.durationMs <= 0) return 99;
    return Math.min(99, Math.floor(((Date.now() - vpg.sync.startedAt) / vpg.sync.durationMs) * 100));
  }

  actualRpo(vpg: Vpg): number {
    const base = 5 + (vpg.index % 5);
    if (vpg.disconnectedAt === null) return base;
    return base + Math.round((Date.now() - vpg.disconnectedAt) / 1_000 / this.timeScale);
  }

  private async power(vm: string, on: boolean): Promise<void> {
    const p = this.placement.get(vm);
    if (!p) return;
    if (this.vcsim) await this.vcsim.post('/vm/power', { vm, on });
    p.powerOn = on;
  }

  /** The "<vm> - testing recovery" copy that a failover test runs at the recovery site. */
  private async testCopy(vm: string, site: string, create: boolean, datastore = ''): Promise<void> {
    if (!this.vcsim) return;
    await this.vcsim.post(create ? '/vm/test-copy' : '/vm/test-copy/remove', { vm, site, datastore });
  }

  private async relocate(
    vm: string,
    host: string,
    datastore: string,
    site: string,
    powerOn = true,
  ): Promise<void> {
    if (this.vcsim) await this.vcsim.post('/vm/relocate', { vm, host, datastore, powerOn });
    this.placement.set(vm, { host, datastore, site, powerOn });
  }
}
