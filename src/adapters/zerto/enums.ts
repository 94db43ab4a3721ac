// Zerto's enums (ZertoPublic common.py), value → name, for raw state text and decisions.

export const vpgStatusNames: Record<number, string> = {
  0: 'Initializing',
  1: 'MeetingSLA',
  2: 'NotMeetingSLA',
  3: 'HistoryNotMeetingSLA',
  4: 'RpoNotMeetingSLA',
  5: 'FailingOver',
  6: 'Moving',
  7: 'Deleting',
  8: 'Recovered',
};

export const vpgSubStatusNames: Record<number, string> = {
  0: 'None',
  1: 'InitialSync',
  2: 'Creating',
  3: 'VolumeInitialSync',
  4: 'Sync',
  5: 'RecoveryPossible',
  6: 'DeltaSync',
  7: 'NeedsConfiguration',
  8: 'Error',
  9: 'EmptyProtectionGroup',
  10: 'DisconnectedFromPeerNoRecoveryPoints',
  11: 'FullSync',
  12: 'VolumeDeltaSync',
  13: 'VolumeFullSync',
  14: 'FailingOverCommitting',
  15: 'FailingOverBeforeCommit',
  16: 'FailingOverRollingBack',
  17: 'Promoting',
  18: 'MovingCommitting',
  19: 'MovingBeforeCommit',
  20: 'MovingRollingBack',
  21: 'Deleting',
  22: 'PendingRemove',
  23: 'BitmapSync',
  24: 'DisconnectedFromPeer',
  25: 'ReplicationPausedUserInitiated',
  26: 'ReplicationPausedSystemInitiated',
  27: 'RecoveryStorageProfileError',
  28: 'Backup',
  29: 'RollingBack',
  30: 'RecoveryStorageError',
  31: 'JournalStorageError',
  32: 'VmNotProtectedError',
};

export const taskStateNames: Record<number, string> = {
  0: 'FirstUnusedValue',
  1: 'InProgress',
  2: 'WaitingForUserInput',
  3: 'Paused',
  4: 'Failed',
  5: 'Stopped',
  6: 'Completed',
  7: 'Cancelling',
};

export const VpgStatus = {
  Initializing: 0,
  MeetingSLA: 1,
  NotMeetingSLA: 2,
  HistoryNotMeetingSLA: 3,
  RpoNotMeetingSLA: 4,
  FailingOver: 5,
  Moving: 6,
  Deleting: 7,
  Recovered: 8,
} as const;

export const SubStatus = {
  NeedsConfiguration: 7,
  Error: 8,
  EmptyProtectionGroup: 9,
  DisconnectedFromPeerNoRecoveryPoints: 10,
  FailingOverCommitting: 14,
  FailingOverBeforeCommit: 15,
  FailingOverRollingBack: 16,
  MovingCommitting: 18,
  MovingBeforeCommit: 19,
  MovingRollingBack: 20,
  DisconnectedFromPeer: 24,
  ReplicationPausedUserInitiated: 25,
  ReplicationPausedSystemInitiated: 26,
  RecoveryStorageProfileError: 27,
  RecoveryStorageError: 30,
  JournalStorageError: 31,
  VmNotProtectedError: 32,
} as const;

export const TaskState = {
  InProgress: 1,
  WaitingForUserInput: 2,
  Paused: 3,
  Failed: 4,
  Stopped: 5,
  Completed: 6,
  Cancelling: 7,
} as const;

export function nameOf(table: Record<number, string>, value: number): string {
  return table[value] ?? `Unknown(${value})`;
}
