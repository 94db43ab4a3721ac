import { readFileSync } from 'node:fs';
import type { ProtectedUnit, ReplicationStatus } from '../../domain/replication.js';
import type {
  ActionOptions,
  ActionProgress,
  ReplicationAdapter,
  SwitchoverOptions,
} from '../replication/types.js';
import { DsmClient, filterPayload, normaliseBaseUrl } from './client.js';
import { DsmError } from './errors.js';
import { type Deadline, deadline, pause } from './poll.js';
import {
  apiConnectionSchema,
  liveVolumeListSchema,
  liveVolumeSchema,
  replicationProgressListSchema,
  type ScLiveVolume,
  storageCenterListSchema,
  swapRolesResultSchema,
} from './schema.js';
import { isActivated, liveVolumeHealth, liveVolumeStatus, primarySiteOf, swapSettled } from './status.js';
import type { DellScAdapterOptions } from './types.js';

export { DsmError, type DsmErrorCode } from './errors.js';
export type { DellScAdapterOptions } from './types.js';

// Dell SC Live Volume through DSM. A planned move is vMotion (done by the run engine) plus
// SwapRoles here, so the primary follows the VMs. Unplanned failover has no public REST call:
// Dell's tiebreaker activates the secondary by itself when auto-failover is on, and otherwise an
// administrator brings it online in DSM. Bascule therefore never invents a call for it: it accepts
// a secondary already Activated on the target site, swaps roles when the source still answers,
// and otherwise stops with DSM_FAILOVER_MANUAL saying what to do in DSM.

const DEFAULT_SWITCHOVER_MS = 30 * 60_000;
const DEFAULT_RESYNC_MS = 24 * 3_600_000;
const ID = /^\d+\.\d+$/;

type LiveVolumeUnit = ProtectedUnit & { ref: { kind: 'live-volume'; name: string } };

export function createDellScAdapter(options: DellScAdapterOptions): ReplicationAdapter {
  return new DellScAdapter(options);
}

class DellScAdapter implements ReplicationAdapter {
  readonly kind = 'live-volume' as const;
  private readonly client: DsmClient;
  private readonly sites: Record<string, string>;
  private readonly pollMs: number;
  private readonly graceMs: number;
  /** Live Volume instanceId by configured name, so a rename-free lookup is one GET. */
  private readonly ids = new Map<string, string>();

  constructor(o: DellScAdapterOptions) {
    const ca = o.ca ?? (o.config.caFile ? readFileSync(o.config.caFile, 'utf8') : undefined);
    this.pollMs = o.pollIntervalMs ?? 2_000;
    this.graceMs = o.swapStartGraceMs ?? 60_000;
    // Live Volume roles are per Storage Center; config.storageCenters says which site each one is in.
    this.sites = { ...o.config.storageCenters };
    this.client = new DsmClient({
      baseUrl: normaliseBaseUrl(o.config.url),
      user: o.user,
      password: o.password,
      apiVersion: o.config.apiVersion,
      ca,
      pollIntervalMs: this.pollMs,
      requestTimeoutMs: o.requestTimeoutMs ?? 30_000,
    });
  }

  async status(unit: ProtectedUnit, options: ActionOptions = {}): Promise<ReplicationStatus> {
    const u = liveVolumeUnit(unit);
    const lv = await this.read(u, options.signal);
    const percent = liveVolumeHealth(lv) === 'copying' ? await this.progress(lv, options.signal) : null;
    return liveVolumeStatus(u.id, lv, this.sites, percent);
  }

  async switchover(
    unit: ProtectedUnit,
    toSite: string,
    options: SwitchoverOptions = {},
  ): Promise<ReplicationStatus> {
    const u = liveVolumeUnit(unit);
    checkSite(u, toSite);
    const until = deadline(options.timeoutMs ?? DEFAULT_SWITCHOVER_MS, `the role swap of ${u.ref.name}`);
    let lv = await this.settled(u, until, options);
    const before = liveVolumeStatus(u.id, lv, this.sites);
    if (before.primarySite === toSite) return before;
    if (isActivated(lv)) {
      throw new DsmError(
        'DSM_WRONG_STATE',
        `${u.ref.name}: the secondary is Activated on ${before.primarySite}`,
        {
          hint: 'Restore the Live Volume in DSM (automatic restore, or Restore Live Volume) before moving it again.',
        },
      );
    }
    if (before.health !== 'in-sync') {
      throw new DsmError(
        'DSM_WRONG_STATE',
        `${u.ref.name} is not in sync (${before.raw}); roles were not swapped`,
        {
          hint: 'Run `resync` for this unit (or restore the replication link in DSM), then run the switchover again.',
        },
      );
    }
    lv = await this.swap(u, lv, toSite, until, options);
    return liveVolumeStatus(u.id, lv, this.sites);
  }

  async failover(
    unit: ProtectedUnit,
    toSite: string,
    options: ActionOptions = {},
  ): Promise<ReplicationStatus> {
    const u = liveVolumeUnit(unit);
    checkSite(u, toSite);
    const until = deadline(options.timeoutMs ?? DEFAULT_SWITCHOVER_MS, `the failover of ${u.ref.name}`);
    const lv = await this.settled(u, until, options);
    const st = liveVolumeStatus(u.id, lv, this.sites);
    // The tiebreaker (or an administrator) has already activated the copy on toSite.
    if (st.primarySite === toSite) return st;
    if (st.health === 'in-sync') {
      // The source still answers: a role swap is the lossless way, as Cinder's Live Volume failover does.
      return liveVolumeStatus(u.id, await this.swap(u, lv, toSite, until, options), this.sites);
    }
    throw new DsmError(
      'DSM_FAILOVER_MANUAL',
      `${u.ref.name} cannot be failed over to ${toSite} through the DSM REST API (${st.raw})`,
      {
        details: { liveVolume: lv.instanceId },
        hint:
          `Confirm the primary Storage Center ${lv.primaryStorageCenter.instanceName} is really down, then bring the ` +
          `secondary copy online in DSM (Live Volume actions on ${lv.secondaryStorageCenter.instanceName}) and run ` +
          'the unit again: Bascule will find it Activated there and carry on.',
      },
    );
  }

  async resync(unit: ProtectedUnit, options: ActionOptions = {}): Promise<ReplicationStatus> {
    const u = liveVolumeUnit(unit);
    const until = deadline(options.timeoutMs ?? DEFAULT_RESYNC_MS, `${u.ref.name} to be in sync`);
    // There is no REST call to restart a Live Volume: the arrays resync by themselves once the link
    // is back, so resync means following that to the end and reporting progress.
    for (;;) {
      const lv = await this.read(u, options.signal);
      const health = liveVolumeHealth(lv);
      const percent = health === 'copying' ? await this.progress(lv, options.signal) : null;
      const st = liveVolumeStatus(u.id, lv, this.sites, percent);
      if (health === 'in-sync') return st;
      if (isActivated(lv) && lv.restoreAutomaticallyEnabled === false) {
        throw new DsmError(
          'DSM_WRONG_STATE',
          `${u.ref.name}: the secondary is Activated and automatic restore is off`,
          {
            hint: 'Restore the Live Volume in DSM once both Storage Centers are up, then run resync again.',
          },
        );
      }
      const message =
        health === 'copying'
          ? `resyncing ${u.ref.name}${percent === null ? '' : ` ${percent}%`}`
          : `${u.ref.name}: waiting for the replication link (${st.raw})`;
      report(options, { percent, message, status: st });
      await pause(this.pollMs, until, options.signal);
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** SwapRoles, then wait until both sides report the swap done with the primary on toSite. */
  private async swap(
    u: LiveVolumeUnit,
    lv: ScLiveVolume,
    toSite: string,
    until: Deadline,
    options: ActionOptions,
  ): Promise<ScLiveVolume> {
    const from = lv.primaryStorageCenter.instanceId;
    report(options, { percent: 0, message: `swapping roles of ${u.ref.name} to ${toSite}`, status: null });
    await this.client.post(
      `StorageCenter/ScLiveVolume/${lv.instanceId}/SwapRoles`,
      {},
      swapRolesResultSchema,
      {
        async: until,
        signal: options.signal,
      },
    );
    const accepted = Date.now();
    for (;;) {
      const now = await this.read(u, options.signal);
      const changed = now.primaryStorageCenter.instanceId !== from;
      if (swapSettled(now) && changed) {
        const site = primarySiteOf(now, this.sites);
        if (site !== toSite) {
          throw new DsmError(
            'DSM_SWAP_FAILED',
            `${u.ref.name}: after the swap the primary is on ${site}, not ${toSite}`,
            {
              hint: 'Check storageCenters of the dell-dsm array in sites.yaml against the Storage Centers in DSM.',
            },
          );
        }
        return now;
      }
      if (swapSettled(now) && !changed && Date.now() - accepted > this.graceMs) {
        throw new DsmError(
          'DSM_SWAP_FAILED',
          `${u.ref.name}: DSM accepted SwapRoles but the roles did not change`,
          {
            hint: 'Look at the Live Volume events in DSM for why the swap was dropped, then run the unit again.',
          },
        );
      }
      report(options, {
        percent: null,
        message: `swapping roles of ${u.ref.name} (${now.primarySwapRoleState}/${now.secondarySwapRoleState})`,
        status: null,
      });
      await pause(this.pollMs, until, options.signal);
    }
  }

  /** Reads the Live Volume, first waiting out a swap already under way (a re-run after a crash). */
  private async settled(u: LiveVolumeUnit, until: Deadline, options: ActionOptions): Promise<ScLiveVolume> {
    for (;;) {
      const lv = await this.read(u, options.signal);
      if (swapSettled(lv)) return lv;
      report(options, {
        percent: null,
        message: `waiting for a role swap of ${u.ref.name} already under way`,
        status: null,
      });
      await pause(this.pollMs, until, options.signal);
    }
  }

  private async read(u: LiveVolumeUnit, signal: AbortSignal | undefined): Promise<ScLiveVolume> {
    const name = u.ref.name;
    const id = this.ids.get(name) ?? (ID.test(name) ? name : undefined);
    if (id !== undefined) {
      try {
        return await this.client.get(`StorageCenter/ScLiveVolume/${id}`, liveVolumeSchema, { signal });
      } catch (err) {
        // A cached id may be stale (Live Volume re-created); a configured id is final.
        if (!(err instanceof DsmError && err.code === 'DSM_NOT_FOUND') || id === name) throw err;
        this.ids.delete(name);
      }
    }
    const lv = await this.find(name, signal);
    this.ids.set(name, lv.instanceId);
    return lv;
  }

  private async find(name: string, signal: AbortSignal | undefined): Promise<ScLiveVolume> {
    const payload = filterPayload(await this.client.apiVersion(), [
      { attributeName: 'instanceName', attributeValue: name },
    ]);
    let found = (
      await this.client.post('StorageCenter/ScLiveVolume/GetList', payload, liveVolumeListSchema, { signal })
    ).filter((lv) => lv.instanceName === name);
    if (found.length === 0) found = await this.scanStorageCenters(name, signal);
    if (found.length > 1) {
      throw new DsmError('DSM_AMBIGUOUS', `${found.length} Live Volumes are named "${name}" in DSM`, {
        details: { ids: found.map((l) => l.instanceId) },
        hint: 'Use the Live Volume instanceId instead of its name in sites.yaml (protection[].liveVolume).',
      });
    }
    const lv = found[0];
    if (!lv) {
      throw new DsmError('DSM_NOT_FOUND', `no Live Volume named "${name}" in DSM`, {
        hint: 'Check protection[].liveVolume in sites.yaml against Storage > Live Volumes in DSM.',
      });
    }
    return lv;
  }

  /** Cinder's workaround for firmware where the full list misses entries: ask each Storage Center. */
  private async scanStorageCenters(name: string, signal: AbortSignal | undefined): Promise<ScLiveVolume[]> {
    const conn = await this.client.get('ApiConnection/ApiConnection', apiConnectionSchema, { signal });
    const scs = await this.client.get(
      `ApiConnection/ApiConnection/${conn.instanceId ?? '0'}/StorageCenterList`,
      storageCenterListSchema,
      { signal },
    );
    const byId = new Map<string, ScLiveVolume>();
    for (const sc of scs.filter((s) => s.connected !== false)) {
      const lvs = await this.client.get(
        `StorageCenter/StorageCenter/${sc.instanceId}/LiveVolumeList`,
        liveVolumeListSchema,
        {
          signal,
        },
      );
      for (const lv of lvs) if (lv.instanceName === name) byId.set(lv.instanceId, lv);
    }
    return [...byId.values()];
  }

  private async progress(lv: ScLiveVolume, signal: AbortSignal | undefined): Promise<number | null> {
    const payload = filterPayload(await this.client.apiVersion(), [
      { attributeName: 'instanceName', attributeValue: `Replication of ${lv.primaryVolume.instanceName}` },
    ]);
    const list = await this.client.post(
      'StorageCenter/ScReplicationProgress/GetList',
      payload,
      replicationProgressListSchema,
      {
        signal,
      },
    );
    const p = list[0]?.percentComplete;
    return p === undefined ? null : Math.max(0, Math.min(100, Math.round(p)));
  }
}

function liveVolumeUnit(unit: ProtectedUnit): LiveVolumeUnit {
  if (unit.method !== 'live-volume' || unit.ref.kind !== 'live-volume') {
    throw new DsmError('DSM_BAD_UNIT', `unit ${unit.id} is a ${unit.method} unit, not a Live Volume`, {
      hint: 'This is a wiring bug: report it with the unit id.',
    });
  }
  return unit as LiveVolumeUnit;
}

function checkSite(u: LiveVolumeUnit, toSite: string): void {
  if (toSite !== u.homeSite && toSite !== u.peerSite) {
    throw new DsmError(
      'DSM_BAD_SITE',
      `${u.id} replicates between ${u.homeSite} and ${u.peerSite}, not to ${toSite}`,
      {
        hint: `Choose ${u.homeSite} or ${u.peerSite}.`,
      },
    );
  }
}

function report(options: ActionOptions, p: ActionProgress): void {
  options.onProgress?.(p);
}
