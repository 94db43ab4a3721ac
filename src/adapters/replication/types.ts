import type { ProtectedUnit, ReplicationStatus } from '../../domain/replication.js';

// The one small interface the run engine drives, whatever replicates the unit. Each adapter
// (storwize/, dell-sc/, zerto/) implements it; a shared contract suite runs against all three.
// Every action reads the state first and is a no-op when the goal already holds (switching toward
// the site that is already primary), then reads it back after acting, so a re-run after a crash
// neither repeats nor skips work.

export interface ActionProgress {
  /** 0–100 when the system reports it. */
  percent: number | null;
  /** Short operator-facing text: "switching rc_prod01 to aux", "copying 42%". */
  message: string;
  status: ReplicationStatus | null;
}

export interface ActionOptions {
  signal?: AbortSignal;
  onProgress?: (p: ActionProgress) => void;
  /** Overall limit for the action, polling included. */
  timeoutMs?: number;
}

export interface SwitchoverOptions extends ActionOptions {
  /**
   * Allow the path that can lose consistency (Storwize stop -access then start -force) when the
   * unit is not in sync. Only an explicit operator decision sets it.
   */
  allowForce?: boolean;
}

export interface ResyncOptions extends ActionOptions {
  /**
   * Site to copy from when the unit has no direction (idling after an unplanned failover, both
   * sides writable). Adapters whose system always knows its direction ignore it.
   */
  primarySite?: string;
}

export interface ZertoMoveOptions extends ActionOptions {
  /** Commit automatically (Bascule's default is None, then commit after verifying). */
  commitPolicy?: 'Commit' | 'Rollback' | 'None';
  reverseProtection?: boolean;
  forceShutdown?: boolean;
}

export interface ReplicationAdapter {
  readonly kind: ProtectedUnit['method'];
  /** Current direction and health, read from the system. */
  status(unit: ProtectedUnit, options?: ActionOptions): Promise<ReplicationStatus>;
  /** Planned switchover: make `toSite` primary with no data loss. Idempotent. */
  switchover(unit: ProtectedUnit, toSite: string, options?: SwitchoverOptions): Promise<ReplicationStatus>;
  /** Unplanned: the source is unreachable; make the replica on `toSite` writable. Idempotent. */
  failover(unit: ProtectedUnit, toSite: string, options?: ActionOptions): Promise<ReplicationStatus>;
  /** Restart replication from the current primary toward the other site, and wait until in sync. */
  resync(unit: ProtectedUnit, options?: ResyncOptions): Promise<ReplicationStatus>;
  /** Releases connections and sessions. */
  close(): Promise<void>;
}

/** Zerto's extra verbs: a move waits for commit or rollback, and test failovers. */
export interface ZertoReplicationAdapter extends ReplicationAdapter {
  readonly kind: 'zerto';
  move(unit: ProtectedUnit, toSite: string, options?: ZertoMoveOptions): Promise<ReplicationStatus>;
  commit(unit: ProtectedUnit, options?: ActionOptions): Promise<ReplicationStatus>;
  rollback(unit: ProtectedUnit, options?: ActionOptions): Promise<ReplicationStatus>;
  startFailoverTest(unit: ProtectedUnit, options?: ActionOptions): Promise<ReplicationStatus>;
  /** Whether a failover test of the VPG is running now. */
  failoverTestRunning(unit: ProtectedUnit, options?: ActionOptions): Promise<boolean>;
  stopFailoverTest(
    unit: ProtectedUnit,
    success: boolean,
    summary: string,
    options?: ActionOptions,
  ): Promise<ReplicationStatus>;
}
