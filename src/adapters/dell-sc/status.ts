import type { ReplicationHealth, ReplicationStatus } from '../../domain/replication.js';
import { DsmError } from './errors.js';
import type { ScLiveVolume } from './schema.js';

// ScLiveVolume fields → Bascule's replication status. "In sync" is the production tiebreaker
// script's rule: syncStatus Current, replication Up, both sides Up and Connected. An Activated
// secondary serves the I/O, so its Storage Center's site is the one that counts as primary.

export function siteOfStorageCenter(
  sc: { instanceId: string; instanceName: string },
  sites: Record<string, string>,
): string {
  const site = sites[sc.instanceName] ?? sites[sc.instanceId];
  if (site === undefined) {
    throw new DsmError(
      'DSM_UNKNOWN_STORAGE_CENTER',
      `Storage Center ${sc.instanceName} (serial ${sc.instanceId}) is not mapped to a site`,
      { hint: `Add "${sc.instanceName}: <site>" under storageCenters of the dell-dsm array in sites.yaml.` },
    );
  }
  return site;
}

export function isActivated(lv: ScLiveVolume): boolean {
  return lv.secondaryRole === 'Activated';
}

/** No swap under way on either Storage Center. */
export function swapSettled(lv: ScLiveVolume): boolean {
  return (
    !lv.swappingRoles &&
    lv.primarySwapRoleState === 'NotSwapping' &&
    lv.secondarySwapRoleState === 'NotSwapping'
  );
}

export function liveVolumeHealth(lv: ScLiveVolume): ReplicationHealth {
  if (lv.replicationFound === false) return 'error';
  const linked =
    lv.replicationState === 'Up' &&
    lv.primaryPeerState === 'Connected' &&
    lv.secondaryPeerState === 'Connected' &&
    lv.primaryStatus === 'Up' &&
    lv.secondaryStatus === 'Up';
  if (isActivated(lv)) return linked ? 'stopped' : 'disconnected';
  if (!linked) return 'disconnected';
  if (lv.syncStatus === 'Current') return 'in-sync';
  // Dell drops syncStatus only when a side is down; linked but without it is not a state we know.
  if (lv.syncStatus === undefined) return 'error';
  return 'copying';
}

export function primarySiteOf(lv: ScLiveVolume, sites: Record<string, string>): string {
  return siteOfStorageCenter(isActivated(lv) ? lv.secondaryStorageCenter : lv.primaryStorageCenter, sites);
}

export function rawText(lv: ScLiveVolume): string {
  const side = (role: string, sc: { instanceName: string }, status: string, peer: string) =>
    `${role} on ${sc.instanceName} (${status}, ${peer})`;
  const parts = [
    `replication ${lv.replicationState}`,
    `sync ${lv.syncStatus ?? 'unknown'}`,
    side(lv.primaryRole, lv.primaryStorageCenter, lv.primaryStatus, lv.primaryPeerState),
    side(lv.secondaryRole, lv.secondaryStorageCenter, lv.secondaryStatus, lv.secondaryPeerState),
  ];
  if (lv.failoverState) parts.push(`failover ${lv.failoverState}`);
  if (lv.swappingRoles || !swapSettled(lv)) {
    parts.push(`swapping roles (${lv.primarySwapRoleState}/${lv.secondarySwapRoleState})`);
  }
  if (lv.replicationStateMessage) parts.push(lv.replicationStateMessage);
  return parts.join(', ');
}

export function liveVolumeStatus(
  unitId: string,
  lv: ScLiveVolume,
  sites: Record<string, string>,
  progressPercent: number | null = null,
): ReplicationStatus {
  const health = liveVolumeHealth(lv);
  return {
    unitId,
    primarySite: primarySiteOf(lv, sites),
    health,
    progressPercent: health === 'copying' ? progressPercent : null,
    // Live Volume does not report a lag; synchronous ones have none when Current.
    lagSeconds: null,
    raw: rawText(lv),
  };
}
