import type { ReplicationHealth, ReplicationStatus } from '../../domain/replication.js';
import { nameOf, SubStatus, VpgStatus, vpgStatusNames, vpgSubStatusNames } from './enums.js';
import type { Vpg } from './schema.js';

// VPG Status/SubStatus → Bascule's replication status. While a move or failover waits for its
// commit (or is committing), the recovered VMs run on the recovery site, so that site counts as
// primary; a VPG "Recovered" without reverse protection also runs there, unprotected.

const disconnected = new Set<number>([
  SubStatus.DisconnectedFromPeer,
  SubStatus.DisconnectedFromPeerNoRecoveryPoints,
]);
const paused = new Set<number>([
  SubStatus.ReplicationPausedUserInitiated,
  SubStatus.ReplicationPausedSystemInitiated,
]);
const broken = new Set<number>([
  SubStatus.NeedsConfiguration,
  SubStatus.Error,
  SubStatus.EmptyProtectionGroup,
  SubStatus.RecoveryStorageProfileError,
  SubStatus.RecoveryStorageError,
  SubStatus.JournalStorageError,
  SubStatus.VmNotProtectedError,
]);
const onRecoverySite = new Set<number>([
  SubStatus.MovingBeforeCommit,
  SubStatus.MovingCommitting,
  SubStatus.FailingOverBeforeCommit,
  SubStatus.FailingOverCommitting,
]);

export function isBeforeCommit(v: Vpg): boolean {
  return v.SubStatus === SubStatus.MovingBeforeCommit || v.SubStatus === SubStatus.FailingOverBeforeCommit;
}

export function isCommitting(v: Vpg): boolean {
  return v.SubStatus === SubStatus.MovingCommitting || v.SubStatus === SubStatus.FailingOverCommitting;
}

export function isRollingBack(v: Vpg): boolean {
  return v.SubStatus === SubStatus.MovingRollingBack || v.SubStatus === SubStatus.FailingOverRollingBack;
}

export function testRunning(v: Vpg): boolean {
  const t = v.ActiveProcessesApi?.RunningFailOverTestApi;
  return t !== null && t !== undefined;
}

export function vpgHealth(v: Vpg): ReplicationHealth {
  if (v.Status === VpgStatus.Recovered) return 'stopped';
  if (disconnected.has(v.SubStatus)) return 'disconnected';
  if (paused.has(v.SubStatus)) return 'stopped';
  if (broken.has(v.SubStatus)) return 'error';
  switch (v.Status) {
    // History short of its target does not make the replica stale: the RPO is met.
    case VpgStatus.MeetingSLA:
    case VpgStatus.HistoryNotMeetingSLA:
      return 'in-sync';
    case VpgStatus.Initializing:
    case VpgStatus.NotMeetingSLA:
    case VpgStatus.RpoNotMeetingSLA:
      return 'copying';
    // Replication is suspended while the VPG moves or fails over.
    case VpgStatus.FailingOver:
    case VpgStatus.Moving:
      return 'stopped';
    default:
      return 'error';
  }
}

/** Identifier of the site whose VMs are the live ones. */
export function primarySiteId(v: Vpg): string {
  if (v.Status === VpgStatus.Recovered || onRecoverySite.has(v.SubStatus)) return v.RecoverySite.identifier;
  return v.ProtectedSite.identifier;
}

export function rawText(v: Vpg): string {
  const parts = [`${nameOf(vpgStatusNames, v.Status)}/${nameOf(vpgSubStatusNames, v.SubStatus)}`];
  if (typeof v.ActualRPO === 'number') parts.push(`RPO ${v.ActualRPO}s`);
  if (testRunning(v)) parts.push('failover test running');
  return parts.join(', ');
}

export function vpgStatus(unitId: string, v: Vpg, siteOf: (identifier: string) => string): ReplicationStatus {
  const health = vpgHealth(v);
  const progress = v.ProgressPercentage;
  return {
    unitId,
    primarySite: siteOf(primarySiteId(v)),
    health,
    progressPercent: health === 'copying' && typeof progress === 'number' ? progress : null,
    lagSeconds: typeof v.ActualRPO === 'number' && v.ActualRPO >= 0 ? v.ActualRPO : null,
    raw: rawText(v),
  };
}
