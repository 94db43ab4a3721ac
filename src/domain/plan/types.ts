import type { PowerState } from '../inventory.js';
import type { ProtectedUnit, ReplicationHealth, ReplicationMethod } from '../replication.js';

// The plan is what the run engine executes and what approvers approve. Each step carries every
// fact the engine needs (names, ids, hosts, vmx paths, targets), so the engine never re-derives a
// decision from a later inventory: if the world changed, the plan hash changes and the run refuses.

/**
 * `test-failover`: Zerto's failover test. Copies of a VPG's VMs start at the other site on the test
 * network while production keeps running; the test is then stopped and its result recorded.
 */
export type MoveKind = 'migrate' | 'failover' | 'failback' | 'test-failover';

export interface VmRef {
  id: string;
  name: string;
}

export interface HostRef {
  id: string;
  name: string;
}

export interface DatastoreRef {
  /** Datastore id at the source; null when the inventory did not show it. */
  id: string | null;
  name: string;
  /** Kept through a force-mount, so the engine finds the replica among unresolved volumes. */
  vmfsUuid: string | null;
}

export interface UnitRef {
  id: string;
  method: ReplicationMethod;
  array: string;
  ref: ProtectedUnit['ref'];
}

/** Where a VM goes at the destination: placement chosen by Bascule, not left to chance. */
export interface VmTarget {
  cluster: string;
  resourcePool: string;
  host: HostRef;
}

interface StepBase {
  /** Estimated wall time of the step, in ms. */
  estimateMs: number;
}

export interface ResyncStep extends StepBase {
  kind: 'resync-replication';
  units: UnitRef[];
  /** Current primary: replication restarts from it toward the unit's home. */
  fromSite: string;
}

export interface ShutdownStep extends StepBase {
  kind: 'shutdown-vms';
  vms: Array<VmRef & { host: string | null; toolsRunning: boolean }>;
  /** Guest shutdown timeout before a power-off (or a stop, when forceOff is false). */
  timeoutMs: number;
  forceOff: boolean;
}

export interface UnregisterStep extends StepBase {
  kind: 'unregister-vms';
  vms: Array<VmRef & { vmxPath: string }>;
  /** Failover: the entries belong to a lost site; failing to remove one must not stop the run. */
  bestEffort: boolean;
}

export interface UnmountStep extends StepBase {
  kind: 'unmount-datastore';
  datastores: DatastoreRef[];
  hosts: HostRef[];
}

export interface SwitchReplicationStep extends StepBase {
  kind: 'switch-replication';
  units: UnitRef[];
  toSite: string;
}

export interface MakeWritableStep extends StepBase {
  kind: 'make-replica-writable';
  units: UnitRef[];
  toSite: string;
}

export interface RescanStep extends StepBase {
  kind: 'rescan-hosts';
  hosts: HostRef[];
}

export interface MountStep extends StepBase {
  kind: 'mount-datastore';
  datastores: DatastoreRef[];
  hosts: HostRef[];
  /** Keep the VMFS UUID so the vmx paths stay valid; resignaturing would rename the datastore. */
  resolution: 'forceMount';
}

export interface RegisterStep extends StepBase {
  kind: 'register-vms';
  /** The datacenter's VM folder at the destination. */
  folder: string | null;
  vms: Array<{ name: string; vmxPath: string; template: boolean; target: VmTarget | null }>;
}

export interface PowerOnGroup {
  name: string;
  vms: Array<{ name: string; host: string | null }>;
  /** VMs whose Tools heartbeat the engine waits for before starting the next group. */
  waitForTools: string[];
}

export interface PowerOnStep extends StepBase {
  kind: 'power-on-vms';
  groups: PowerOnGroup[];
}

export interface VmotionStep extends StepBase {
  kind: 'vmotion-vms';
  moves: Array<VmRef & { fromHost: HostRef | null; target: VmTarget | null; powerState: PowerState }>;
  perHostLimit: number;
}

export interface SwapRolesStep extends StepBase {
  kind: 'swap-roles';
  unit: UnitRef;
  toSite: string;
}

export interface ZertoMoveStep extends StepBase {
  kind: 'zerto-move';
  unit: UnitRef;
  toSite: string;
  reverseProtection: boolean;
  /** None: the engine verifies the VMs, then commits. */
  commitPolicy: 'None';
  forceShutdown: boolean;
  vms: string[];
}

export interface ZertoFailoverStep extends StepBase {
  kind: 'zerto-failover';
  unit: UnitRef;
  toSite: string;
  commitPolicy: 'None';
  vms: string[];
}

export interface ZertoCommitStep extends StepBase {
  kind: 'zerto-commit';
  unit: UnitRef;
  reverseProtection: boolean;
}

export interface ZertoTestStartStep extends StepBase {
  kind: 'zerto-test-start';
  unit: UnitRef;
  toSite: string;
  vms: string[];
}

/**
 * Reads back that every test copy runs at `toSite`, then stops the test with that result (a failed
 * check still stops it, so nothing is left running on the test network) and fails if it failed.
 */
export interface ZertoTestStopStep extends StepBase {
  kind: 'zerto-test-stop';
  unit: UnitRef;
  toSite: string;
  vms: string[];
}

export interface VerifyStep extends StepBase {
  kind: 'verify';
  units: UnitRef[];
  toSite: string;
  vms: Array<{ name: string; powerState: PowerState }>;
}

export type PlanStep =
  | ResyncStep
  | ShutdownStep
  | UnregisterStep
  | UnmountStep
  | SwitchReplicationStep
  | MakeWritableStep
  | RescanStep
  | MountStep
  | RegisterStep
  | PowerOnStep
  | VmotionStep
  | SwapRolesStep
  | ZertoMoveStep
  | ZertoFailoverStep
  | ZertoCommitStep
  | ZertoTestStartStep
  | ZertoTestStopStep
  | VerifyStep;

export type StepKind = PlanStep['kind'];

/** The steps for one stop group: one unit, or several joined by a VM with disks on each. */
export interface UnitPlan {
  /** The group's first unit in topology order. */
  id: string;
  units: string[];
  method: ReplicationMethod;
  vmCount: number;
  steps: PlanStep[];
  estimateMs: number;
  /**
   * Groups that must not run at the same time as this one: they stop members of the same
   * redundancy group, and parallel units would take both down at once.
   */
  notConcurrentWith: string[];
}

export interface Parallelism {
  maxParallelUnits: number;
  /** Failback: resyncs run strictly one at a time (they load the one array serving everything). */
  resyncOneAtATime: boolean;
  vmotionsPerHost: number;
  description: string;
}

export interface PlanVmInput {
  name: string;
  host: string | null;
  datastores: string[];
  powerState: PowerState;
}

export interface PlanUnitInput {
  id: string;
  primarySite: string | null;
  health: ReplicationHealth | null;
  vms: PlanVmInput[];
}

/** The facts the plan depends on; approval is bound to their hash. Arrays are sorted. */
export interface PlanInputs {
  request: {
    kind: MoveKind;
    from: string;
    to: string;
    mode: string | null;
    datastores: string[];
    forceOff: boolean;
  };
  units: PlanUnitInput[];
}

export interface Plan {
  kind: MoveKind;
  from: string;
  to: string;
  /** SHA-256 (hex) of the canonical JSON of `inputs`. */
  hash: string;
  inputs: PlanInputs;
  groups: UnitPlan[];
  skipped: Array<{ unit: string; reason: string }>;
  parallelism: Parallelism;
  estimatedTotalMs: number;
  generatedAt: string;
}
