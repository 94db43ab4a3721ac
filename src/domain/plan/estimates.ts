// Per-step estimates, in ms. The defaults are what a production vCenter and arrays take, roughly;
// they only size the announcement ("about 40 min") and the progress bar, never a timeout.

export interface StepEstimates {
  /** One guest OS shutdown; a unit's guests shut down in parallel. */
  shutdownVmMs: number;
  powerOffVmMs: number;
  unregisterVmMs: number;
  /** Unmount of one datastore set on one host. */
  unmountPerHostMs: number;
  switchReplicationMs: number;
  makeWritableMs: number;
  /** HBA rescan; the hosts rescan in parallel. */
  rescanHostMs: number;
  /** Force-mount of the unresolved volumes on one host. */
  mountPerHostMs: number;
  registerVmMs: number;
  /** One power-on batch (PowerOnMultiVM) for a boot group. */
  powerOnGroupMs: number;
  /** Wait for Tools heartbeats before the next boot group. */
  toolsWaitMs: number;
  vmotionVmMs: number;
  swapRolesMs: number;
  zertoMoveMs: number;
  zertoFailoverMs: number;
  zertoCommitMs: number;
  /** Resync of one unit after a maintenance (the field report: 6–12 h for all, sequentially). */
  resyncUnitMs: number;
  verifyMs: number;
}

export const defaultStepEstimates: StepEstimates = {
  shutdownVmMs: 60_000,
  powerOffVmMs: 5_000,
  unregisterVmMs: 1_000,
  unmountPerHostMs: 5_000,
  switchReplicationMs: 30_000,
  makeWritableMs: 30_000,
  rescanHostMs: 30_000,
  mountPerHostMs: 5_000,
  registerVmMs: 3_000,
  powerOnGroupMs: 10_000,
  toolsWaitMs: 120_000,
  vmotionVmMs: 30_000,
  swapRolesMs: 60_000,
  zertoMoveMs: 300_000,
  zertoFailoverMs: 300_000,
  zertoCommitMs: 30_000,
  resyncUnitMs: 3_600_000,
  verifyMs: 10_000,
};

/** Estimates from vim25 task durations (the lab's `taskDurationsMs`), over the defaults. */
export function estimatesFromTaskDurations(
  durations: Readonly<Record<string, number>>,
): Partial<StepEstimates> {
  const pick = (...names: string[]) => names.map((n) => durations[n]).find((v) => v !== undefined);
  const out: Partial<StepEstimates> = {};
  const set = (key: keyof StepEstimates, value: number | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  set('shutdownVmMs', pick('ShutdownGuest'));
  set('powerOffVmMs', pick('PowerOffVM_Task'));
  set('registerVmMs', pick('RegisterVM_Task'));
  set('powerOnGroupMs', pick('PowerOnMultiVM_Task', 'PowerOnVM_Task'));
  set('vmotionVmMs', pick('RelocateVM_Task', 'MigrateVM_Task'));
  set('rescanHostMs', pick('RescanAllHba'));
  set('mountPerHostMs', pick('ResolveMultipleUnresolvedVmfsVolumes'));
  return out;
}

export function resolveEstimates(overrides: Partial<StepEstimates> | undefined): StepEstimates {
  return { ...defaultStepEstimates, ...overrides };
}
