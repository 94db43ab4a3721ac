import type { ProtectedUnit, ReplicationStatus } from '../../domain/replication.js';
import type { ActionOptions, ActionProgress } from '../replication/types.js';
import type { ZertoClient } from './client.js';
import { nameOf, TaskState, taskStateNames, VpgStatus } from './enums.js';
import { ZertoError } from './errors.js';
import { type Deadline, pause } from './poll.js';
import { localSiteSchema, taskSchema, type Vpg, vpgListSchema, vpgSchema } from './schema.js';
import { isBeforeCommit, vpgStatus } from './status.js';

// Reading VPGs and following tasks: finding a VPG by name (its id cached), turning Zerto site
// identifiers into Bascule sites, and the polling loops every verb of the adapter waits in.

export type VpgUnit = ProtectedUnit & { ref: { kind: 'vpg'; name: string } };

export interface Read {
  vpg: Vpg;
  status: ReplicationStatus;
  siteOf: (identifier: string) => string;
}

export class VpgTracker {
  private readonly ids = new Map<string, string>();
  private localSiteId: string | null = null;

  constructor(
    private readonly client: ZertoClient,
    /** Site whose ZVM this is (the array's `site`). */
    private readonly site: string,
    private readonly pollMs: number,
  ) {}

  /**
   * Follows a task. "awaiting-commit" ends at state 2, or when the VPG shows Before Commit toward
   * toSite (the mapping of task state 2 to Before Commit is inferred, so both signals count);
   * "ended" accepts a Stopped task (a move whose commit policy rolled it back). Failed is an error.
   */
  async waitTask(
    u: VpgUnit,
    taskId: string,
    mode: 'awaiting-commit' | 'done' | 'ended',
    until: Deadline,
    options: ActionOptions,
    toSite?: string,
  ): Promise<void> {
    for (;;) {
      const t = await this.client.get(`/v1/tasks/${encodeURIComponent(taskId)}`, taskSchema, options.signal);
      const state = t.Status.State;
      if (state === TaskState.Completed) return;
      if (state === TaskState.Stopped && mode === 'ended') return;
      if (state === TaskState.Failed || state === TaskState.Stopped) {
        throw new ZertoError(
          'ZERTO_TASK_FAILED',
          `Zerto task for ${u.ref.name} ended ${nameOf(taskStateNames, state)}: ${t.CompleteReason ?? 'no reason given'}`,
          {
            details: { taskId, state },
            hint: 'Read the task in Zerto (Monitoring > Tasks), fix its cause, then run the unit again: Bascule reads the VPG first.',
          },
        );
      }
      if (mode === 'awaiting-commit') {
        if (state === TaskState.WaitingForUserInput) return;
        const r = await this.read(u, options.signal);
        if (isBeforeCommit(r.vpg) && r.siteOf(r.vpg.RecoverySite.identifier) === toSite) return;
      }
      const percent = typeof t.Status.Progress === 'number' ? t.Status.Progress : null;
      report(options, {
        percent,
        message: `${u.ref.name}: task ${nameOf(taskStateNames, state)}`,
        status: null,
      });
      await pause(this.pollMs, until, options.signal);
    }
  }

  async waitVpg(
    u: VpgUnit,
    done: (v: Vpg) => boolean,
    until: Deadline,
    options: ActionOptions,
    what: string,
  ): Promise<ReplicationStatus> {
    for (;;) {
      const r = await this.read(u, options.signal);
      if (done(r.vpg)) return r.status;
      report(options, {
        percent: null,
        message: `${u.ref.name}: waiting for ${what} (${r.status.raw})`,
        status: r.status,
      });
      await pause(this.pollMs, until, options.signal);
    }
  }

  async read(u: VpgUnit, signal: AbortSignal | undefined): Promise<Read> {
    const vpg = await this.findVpg(u.ref.name, signal);
    const siteOf = await this.siteMapper(u, signal);
    return { vpg, siteOf, status: vpgStatus(u.id, vpg, siteOf) };
  }

  private async findVpg(name: string, signal: AbortSignal | undefined): Promise<Vpg> {
    const id = this.ids.get(name);
    if (id !== undefined) {
      try {
        const v = await this.client.get(`/v1/vpgs/${encodeURIComponent(id)}`, vpgSchema, signal);
        if (v.VpgName === name) return v;
      } catch (err) {
        if (!(err instanceof ZertoError && err.code === 'ZERTO_NOT_FOUND')) throw err;
      }
      this.ids.delete(name);
    }
    const list = await this.client.get(`/v1/vpgs?name=${encodeURIComponent(name)}`, vpgListSchema, signal);
    const found = list.filter((v) => v.VpgName === name);
    if (found.length > 1) {
      throw new ZertoError('ZERTO_AMBIGUOUS', `${found.length} VPGs are named "${name}" on this ZVM`, {
        hint: 'Rename the VPGs in Zerto so that each name is unique.',
      });
    }
    const v = found[0];
    if (!v) {
      throw new ZertoError('ZERTO_NOT_FOUND', `no VPG named "${name}" on this ZVM`, {
        hint: 'Check protection[].vpg in sites.yaml against the VPG names in the Zerto UI.',
      });
    }
    this.ids.set(name, v.VpgIdentifier);
    return v;
  }

  /** Site identifiers → Bascule sites: this ZVM's own site is the array's `site`, the other is the unit's other site. */
  private async siteMapper(
    u: VpgUnit,
    signal: AbortSignal | undefined,
  ): Promise<(identifier: string) => string> {
    if (this.site !== u.homeSite && this.site !== u.peerSite) {
      throw new ZertoError(
        'ZERTO_BAD_SITE',
        `zerto array site ${this.site} is neither ${u.homeSite} nor ${u.peerSite}`,
        {
          hint: 'Set `site` on the zerto array to the site whose ZVM it is.',
        },
      );
    }
    if (this.localSiteId === null) {
      this.localSiteId = (await this.client.get('/v1/localsite', localSiteSchema, signal)).SiteIdentifier;
    }
    const local = this.localSiteId;
    const other = this.site === u.homeSite ? u.peerSite : u.homeSite;
    return (identifier) => (identifier === local ? this.site : other);
  }
}

export function inOperation(v: Vpg): boolean {
  return v.Status === VpgStatus.Moving || v.Status === VpgStatus.FailingOver;
}

export function remaining(until: Deadline): number {
  return Math.max(0, until.at - Date.now());
}

export function vpgUnit(unit: ProtectedUnit): VpgUnit {
  if (unit.method !== 'zerto' || unit.ref.kind !== 'vpg') {
    throw new ZertoError('ZERTO_BAD_UNIT', `unit ${unit.id} is a ${unit.method} unit, not a Zerto VPG`, {
      hint: 'This is a wiring bug: report it with the unit id.',
    });
  }
  return unit as VpgUnit;
}

export function checkSite(u: VpgUnit, toSite: string): void {
  if (toSite !== u.homeSite && toSite !== u.peerSite) {
    throw new ZertoError(
      'ZERTO_BAD_SITE',
      `${u.id} replicates between ${u.homeSite} and ${u.peerSite}, not to ${toSite}`,
      {
        hint: `Choose ${u.homeSite} or ${u.peerSite}.`,
      },
    );
  }
}

export function report(options: ActionOptions, p: ActionProgress): void {
  options.onProgress?.(p);
}
