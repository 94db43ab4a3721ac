import type { LabModel } from '../model.js';
import { Timers } from '../shared/http.js';
import type { DsmDurations, DsmStorageCenter } from './types.js';

// The arrays' side of the Live Volumes: one Storage Center per site, one Live Volume per
// live-volume datastore of the model, primary on the datastore's site. Values only the tiebreaker
// script shows as healthy ("Up", "Connected", "NotSwapping", "Current") are as documented; the
// in-between values (swap-role states while swapping, syncStatus while resyncing) are not
// documented publicly and are this stand-in's choice, so clients must only test for the healthy ones.

export const defaultDurations: DsmDurations = { asyncAccept: 1_500, swap: 8_000, resyncPerGb: 200 };

interface ScRef {
  instanceId: string;
  instanceName: string;
  objectType: string;
}

export interface LiveVolumeState {
  index: number;
  instanceId: string;
  instanceName: string;
  datastore: string;
  volumeName: string;
  changedGb: number;
  primary: DsmStorageCenter;
  secondary: DsmStorageCenter;
  primaryVolumeId: string;
  secondaryVolumeId: string;
  secondaryRole: 'Secondary' | 'Activated';
  primaryUp: boolean;
  linkUp: boolean;
  /** Resync under way since this time (ms), lasting resyncMs; null when Current. */
  resync: { startedAt: number; durationMs: number } | null;
  swapping: boolean;
}

export class DsmState {
  readonly storageCenters: DsmStorageCenter[];
  readonly liveVolumes: LiveVolumeState[] = [];
  readonly timers = new Timers();
  durations: DsmDurations;
  timeScale: number;
  holdSwaps = false;
  failNextSwap: string | null = null;
  private readonly heldSwaps: Array<() => void> = [];

  constructor(model: LabModel, timeScale: number, durations: Partial<DsmDurations>) {
    this.timeScale = timeScale;
    this.durations = { ...defaultDurations, ...durations };
    this.storageCenters = model.sites.map((site, i) => ({
      name: `SC-${site.toUpperCase().replace(/[^A-Z0-9]/g, '')}`,
      serial: 64_701 + i,
      site,
    }));
    const scOf = (site: string) => this.storageCenters.find((s) => s.site === site) as DsmStorageCenter;
    model.datastores
      .filter((d) => d.method === 'live-volume')
      .forEach((d, i) => {
        const primary = scOf(d.site);
        const secondary = this.storageCenters.find((s) => s.site !== d.site) as DsmStorageCenter;
        this.liveVolumes.push({
          index: i,
          instanceId: `${primary.serial}.${5_001 + i}`,
          instanceName: d.liveVolume ?? `Live Volume of ${d.name}`,
          datastore: d.name,
          volumeName: d.name,
          changedGb: d.changedGb,
          primary,
          secondary,
          primaryVolumeId: `${primary.serial}.${101 + i}`,
          secondaryVolumeId: `${secondary.serial}.${101 + i}`,
          secondaryRole: 'Secondary',
          primaryUp: true,
          linkUp: true,
          resync: null,
          swapping: false,
        });
      });
  }

  scaled(ms: number): number {
    return ms * this.timeScale;
  }

  find(name: string): LiveVolumeState | undefined {
    return this.liveVolumes.find(
      (lv) => lv.instanceName === name || lv.datastore === name || lv.instanceId === name,
    );
  }

  get(name: string): LiveVolumeState {
    const lv = this.find(name);
    if (!lv) throw new Error(`no Live Volume ${name} in the DSM stand-in`);
    return lv;
  }

  select(name: string | undefined): LiveVolumeState[] {
    return name === undefined ? this.liveVolumes : [this.get(name)];
  }

  linkDown(lv: LiveVolumeState): void {
    lv.linkUp = false;
    lv.resync = null;
  }

  linkUp(lv: LiveVolumeState): void {
    if (lv.linkUp || !lv.primaryUp) return;
    lv.linkUp = true;
    this.startResync(lv);
  }

  activateSecondary(lv: LiveVolumeState): void {
    lv.primaryUp = false;
    lv.linkUp = false;
    lv.resync = null;
    lv.secondaryRole = 'Activated';
  }

  restorePrimary(lv: LiveVolumeState): void {
    if (lv.primaryUp) return;
    // Dell's automatic restore: the activated secondary stays primary, the old primary becomes secondary.
    if (lv.secondaryRole === 'Activated') this.exchangeRoles(lv);
    lv.secondaryRole = 'Secondary';
    lv.primaryUp = true;
    lv.linkUp = true;
    this.startResync(lv);
  }

  private startResync(lv: LiveVolumeState): void {
    const durationMs = this.scaled(lv.changedGb * this.durations.resyncPerGb);
    const resync = { startedAt: Date.now(), durationMs };
    lv.resync = resync;
    this.timers.after(durationMs, () => {
      if (lv.resync === resync) lv.resync = null;
    });
  }

  /** 0–100 while resyncing, 100 when Current. */
  resyncPercent(lv: LiveVolumeState): number {
    if (!lv.resync) return lv.linkUp ? 100 : 0;
    if (lv.resync.durationMs <= 0) return 99;
    return Math.min(99, Math.floor(((Date.now() - lv.resync.startedAt) / lv.resync.durationMs) * 100));
  }

  /** Why a swap cannot start now, or null. */
  swapRefusal(lv: LiveVolumeState): string | null {
    if (lv.swapping) return 'A swap roles operation is already in progress for this Live Volume.';
    if (!lv.primaryUp || !lv.linkUp) return 'Unable to swap roles: the Live Volume replication is not Up.';
    if (lv.resync) return 'Unable to swap roles: the Live Volume is not synchronized.';
    return null;
  }

  startSwap(lv: LiveVolumeState): void {
    lv.swapping = true;
    this.timers.after(this.scaled(this.durations.swap), () => {
      const finish = () => {
        this.exchangeRoles(lv);
        lv.swapping = false;
      };
      if (this.holdSwaps) this.heldSwaps.push(finish);
      else finish();
    });
  }

  releaseSwaps(): void {
    for (const finish of this.heldSwaps.splice(0)) finish();
  }

  private exchangeRoles(lv: LiveVolumeState): void {
    [lv.primary, lv.secondary] = [lv.secondary, lv.primary];
    [lv.primaryVolumeId, lv.secondaryVolumeId] = [lv.secondaryVolumeId, lv.primaryVolumeId];
  }

  stop(): void {
    this.timers.clear();
    this.heldSwaps.length = 0;
  }
}

function scRef(sc: DsmStorageCenter): ScRef {
  return { instanceId: String(sc.serial), instanceName: sc.name, objectType: 'StorageCenter' };
}

/** The ScLiveVolume object as DSM returns it (field set of the tiebreaker script). */
export function liveVolumeView(lv: LiveVolumeState): Record<string, unknown> {
  const healthy = lv.linkUp && lv.primaryUp;
  const view: Record<string, unknown> = {
    objectType: 'ScLiveVolume',
    instanceId: lv.instanceId,
    instanceName: lv.instanceName,
    scSerialNumber: lv.primary.serial,
    primaryStorageCenter: scRef(lv.primary),
    secondaryStorageCenter: scRef(lv.secondary),
    primaryVolume: { instanceId: lv.primaryVolumeId, instanceName: lv.volumeName, objectType: 'ScVolume' },
    secondaryVolume: {
      instanceId: lv.secondaryVolumeId,
      instanceName: lv.volumeName,
      objectType: 'ScVolume',
    },
    primaryRole: 'Primary',
    secondaryRole: lv.secondaryRole,
    primaryStatus: lv.primaryUp ? 'Up' : 'Down',
    secondaryStatus: lv.linkUp || lv.secondaryRole === 'Activated' ? 'Up' : 'Down',
    primaryPeerState: healthy ? 'Connected' : 'Disconnected',
    secondaryPeerState: healthy ? 'Connected' : 'Disconnected',
    swappingRoles: lv.swapping,
    primarySwapRoleState: lv.swapping ? 'SwappingToSecondary' : 'NotSwapping',
    secondarySwapRoleState: lv.swapping ? 'SwappingToPrimary' : 'NotSwapping',
    swapRolesAutomaticallyEnabled: false,
    automaticallySwapRoles: false,
    failoverAutomaticallyEnabled: true,
    restoreAutomaticallyEnabled: true,
    localTiebreaker: false,
    failoverState: healthy && !lv.resync ? 'Protected' : 'Unprotected',
    primaryToTiebreakerConnectivity: lv.primaryUp ? 'Up' : 'Down',
    secondaryToTiebreakerConnectivity: 'Up',
    aluaOptimized: true,
    replicationFound: true,
    replicationState: healthy ? 'Up' : 'Down',
    replicationStateMessage: healthy ? '' : 'Unable to communicate with the remote Storage Center',
    status: healthy ? 'Up' : 'Degraded',
    managedReplicationsAllowed: true,
    managingReplications: false,
  };
  // Dell omits these three when one side is down; clients must cope with their absence.
  if (healthy) {
    view.type = 'Synchronous';
    view.syncMode = 'HighAvailability';
    view.syncStatus = lv.resync ? 'OutOfDate' : 'Current';
  }
  return view;
}

export function replicationProgressView(state: DsmState, lv: LiveVolumeState): Record<string, unknown> {
  const percent = state.resyncPercent(lv);
  return {
    objectType: 'ScReplicationProgress',
    instanceId: `${lv.instanceId}.progress`,
    instanceName: `Replication of ${lv.volumeName}`,
    percentComplete: percent,
    synced: lv.linkUp && lv.primaryUp && !lv.resync,
    state: lv.linkUp ? 'Up' : 'Down',
    totalSize: '4096 GB',
    scName: lv.primary.name,
  };
}

export function storageCenterView(sc: DsmStorageCenter, connected: boolean): Record<string, unknown> {
  return {
    objectType: 'StorageCenter',
    instanceId: String(sc.serial),
    instanceName: sc.name,
    name: sc.name,
    scSerialNumber: sc.serial,
    hostOrIpAddress: `${sc.name.toLowerCase()}.lab`,
    connected,
    status: connected ? 'Up' : 'Down',
    portsBalanced: true,
  };
}
