import type { Topology } from '../../config/schema.js';
import type { FencingVerdict } from '../fencing.js';
import type { Inventory } from '../inventory.js';
import type { StepEstimates } from '../plan/estimates.js';
import type { MoveKind, Plan } from '../plan/types.js';
import type { ProtectedUnit, ReplicationStatus } from '../replication.js';

export type { MoveKind } from '../plan/types.js';

/** cold = Storwize remote copy, hot = Live Volume vMotion, zerto = Zerto VPG move. */
export type MoveMode = 'cold' | 'hot' | 'zerto';

export interface MoveRequest {
  kind: MoveKind;
  from: string;
  to: string;
  /** Limit the move to these units (unit ids or datastore names). */
  datastores?: string[];
  mode?: MoveMode;
  /** Power off a guest that does not shut down in time (false with --no-force-off). */
  forceOff: boolean;
  /** Failover only: go on although the source answers (--override-fencing; two approvers). */
  overrideFencing?: boolean;
}

export interface ActiveRun {
  runId: string;
  sites: string[];
  units: string[];
  requestedBy: string;
}

/** Facts vCenter knows but the inventory snapshot does not carry; rules use them when given. */
export interface VmStats {
  cpuUsageMhz?: number;
  committedBytes?: number;
}

export interface PreflightOptions {
  /** Zerto VPG lag (actual RPO) accepted for a planned move. Default 300 s. */
  zertoMaxLagSeconds?: number;
  /** An older inventory snapshot is warned about. Default 15 minutes. */
  maxInventoryAgeMs?: number;
  /** Per-step estimate overrides (e.g. from the lab's task durations). */
  estimates?: Partial<StepEstimates>;
}

export interface PreflightInput {
  inventory: Inventory;
  topology: Topology;
  units: ProtectedUnit[];
  replication: ReadonlyMap<string, ReplicationStatus>;
  request: MoveRequest;
  activeRuns: ActiveRun[];
  now: Date;
  /** By VM id. */
  vmStats?: ReadonlyMap<string, VmStats>;
  /** Zerto unit id → name of its recovery datastore on the destination (from the VPG settings). */
  zertoRecoveryDatastores?: ReadonlyMap<string, string>;
  options?: PreflightOptions;
}

export type Severity = 'block' | 'warn' | 'info';

export type FindingCode =
  | 'REQUEST_INVALID'
  | 'REQUEST_UNKNOWN_DATASTORE'
  | 'REQUEST_UNIT_EXCLUDED'
  | 'NOTHING_TO_MOVE'
  | 'INVENTORY_STALE'
  | 'SITE_CLUSTER_MISSING'
  | 'REDUNDANCY_SAME_STOP_GROUP'
  | 'REDUNDANCY_GROUP_VM_UNKNOWN'
  | 'CAPACITY_VCPU'
  | 'CAPACITY_CPU_MHZ'
  | 'CAPACITY_MEMORY'
  | 'ZERTO_RECOVERY_SPACE'
  | 'ZERTO_RECOVERY_UNKNOWN'
  | 'REPLICATION_STATUS_UNKNOWN'
  | 'REPLICATION_NOT_IN_SYNC'
  | 'REPLICATION_LAG'
  | 'REPLICATION_DIRECTION'
  | 'REPLICATION_RESYNC_FIRST'
  | 'REPLICATION_DEGRADED'
  | 'UNIT_ALREADY_MOVED'
  | 'UNIT_DATASTORE_MISSING'
  | 'DISK_NOT_REPLICATED'
  | 'SPANNING_UNIT_NOT_SELECTED'
  | 'VM_MIXED_METHODS'
  | 'DATASTORE_INACCESSIBLE'
  | 'DEST_HOSTS_UNAVAILABLE'
  | 'DEST_NO_HOSTS'
  | 'LIVE_VOLUME_NOT_MOUNTED'
  | 'LIVE_VOLUME_PARTIALLY_MOUNTED'
  | 'SOURCE_HOST_UNREACHABLE'
  | 'VM_TOOLS_NOT_RUNNING'
  | 'VM_HAS_SNAPSHOT'
  | 'CDROM_ISO_NOT_REPLICATED'
  | 'VM_ALREADY_AT_DESTINATION'
  | 'VM_NOT_CONNECTED'
  | 'CONCURRENT_RUN'
  | 'FENCING_SOURCE_ANSWERS'
  | 'FENCING_UNKNOWN'
  | 'FENCING_CONFIRMED';

export interface FindingObjects {
  vms?: string[];
  datastores?: string[];
  hosts?: string[];
  units?: string[];
  clusters?: string[];
  runs?: string[];
}

/** A fix the bot can offer to do (or show as a command), beyond the sentence in `fix`. */
export type FixAction =
  | { kind: 'storage-vmotion'; vm: string; fromDatastore: string; toDatastore: string }
  | { kind: 'disconnect-cdrom'; vm: string };

export interface Finding {
  code: FindingCode;
  severity: Severity;
  message: string;
  objects: FindingObjects;
  /** What the operator should do, concretely; null for notes that need nothing. */
  fix: string | null;
  actions?: FixAction[];
}

export interface ResourceFigures {
  vms: number;
  vcpu: number;
  memoryMb: number;
  /** Null when CPU usage was not supplied (the snapshot has no usage figures). */
  cpuMhz: number | null;
}

export interface ClusterCapacity {
  cluster: string;
  site: string;
  hosts: number;
  usableHosts: number;
  /** The largest usable hosts, kept free for HA. */
  reservedHosts: string[];
  limits: { vcpu: number; memoryMb: number; cpuMhz: number };
  before: ResourceFigures;
  after: ResourceFigures;
  over: Array<'vcpu' | 'memory' | 'cpu-mhz'>;
}

export interface DatastoreCapacity {
  datastore: string;
  units: string[];
  capacityBytes: number;
  freeBytes: number;
  neededBytes: number;
  /** Free space the headroom keeps. */
  reserveBytes: number;
  ok: boolean;
}

export interface CapacityReport {
  site: string;
  clusters: ClusterCapacity[];
  datastores: DatastoreCapacity[];
}

export interface PreflightResult {
  findings: Finding[];
  plan: Plan;
  capacity: CapacityReport;
  blocked: boolean;
  /** Failover only: what the fencing probes found at the source (gathered, not pure). */
  fencing?: FencingVerdict;
}
