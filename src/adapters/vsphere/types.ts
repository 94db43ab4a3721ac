import type { XmlNode } from './xml.js';

// Shapes of the vim25 objects Bascule sends and reads, limited to the fields it uses. Field order in
// the request types follows the WSDL sequence, because vCenter rejects out-of-order elements.

/** A managed-object reference: `<x type="VirtualMachine">vm-42</x>` on the wire. */
export interface MoRef<T extends string = string> {
  type: T;
  value: string;
}

export type VmRef = MoRef<'VirtualMachine'>;
export type HostRef = MoRef<'HostSystem'>;
export type TaskRef = MoRef<'Task'>;

export function moRef<T extends string>(type: T, value: string): MoRef<T> {
  return { type, value };
}

export function sameRef(a: MoRef | null | undefined, b: MoRef | null | undefined): boolean {
  return a != null && b != null && a.type === b.type && a.value === b.value;
}

export function refText(ref: MoRef): string {
  return `${ref.type}:${ref.value}`;
}

export interface AboutInfo {
  name: string;
  fullName: string;
  version: string;
  apiVersion: string;
  instanceUuid: string;
}

export interface ServiceContent {
  about: AboutInfo;
  rootFolder: MoRef;
  propertyCollector: MoRef;
  viewManager: MoRef;
  sessionManager: MoRef;
  searchIndex: MoRef;
  taskManager: MoRef | null;
  customFieldsManager: MoRef | null;
}

export interface UserSession {
  key: string;
  userName: string;
}

// PropertyCollector request shapes (WSDL order).
export interface SelectionSpec {
  name?: string;
}

export interface TraversalSpec extends SelectionSpec {
  kind: 'TraversalSpec';
  type: string;
  path: string;
  skip?: boolean;
  selectSet?: Array<TraversalSpec | (SelectionSpec & { kind: 'SelectionSpec' })>;
}

export interface PropertySpec {
  type: string;
  all?: boolean;
  pathSet?: readonly string[];
}

export interface ObjectSpec {
  obj: MoRef;
  skip?: boolean;
  selectSet?: TraversalSpec[];
}

export interface PropertyFilterSpec {
  propSet: PropertySpec[];
  objectSet: ObjectSpec[];
  reportMissingObjectsInResults?: boolean;
}

export interface RetrieveOptions {
  maxObjects?: number;
}

export type TaskState = 'queued' | 'running' | 'success' | 'error';

export interface MethodFaultInfo {
  /** vim25 fault type from `xsi:type`, such as `InvalidPowerState`. */
  faultType: string;
  message: string;
  details: Record<string, unknown>;
}

export interface TaskInfo {
  key: string;
  task: MoRef;
  name: string | null;
  entity: MoRef | null;
  entityName: string | null;
  state: TaskState;
  progress: number | null;
  error: MethodFaultInfo | null;
  /** A MoRef result (RegisterVM_Task's new VM), decoded. */
  resultRef: MoRef | null;
  /** The raw result for the few tasks whose result is a data object (PowerOnMultiVM_Task). */
  result: XmlNode | null;
}

export interface TaskProgress {
  /** The task waited on; null while polling an object's state instead (guest shutdown). */
  task: MoRef | null;
  /** Task state, or null when polling an object's state. */
  state: TaskState | null;
  /** 0–100 while running, when vCenter reports it. */
  percent: number | null;
  message: string;
}

export interface WaitOptions {
  signal?: AbortSignal;
  /** Overall limit, polling included. */
  timeoutMs?: number;
  onProgress?: (p: TaskProgress) => void;
}

export interface VmfsMount {
  vmfsUuid: string;
  name: string;
  path: string | null;
  mounted: boolean;
  accessible: boolean;
  /** Device names of the extents (`naa.…`). */
  extents: string[];
}

export interface UnresolvedVmfsExtent {
  devicePath: string;
  vmfsUuid: string;
  isHeadExtent: boolean;
}

export interface UnresolvedVmfsVolume {
  vmfsLabel: string;
  vmfsUuid: string;
  totalBlocks: number;
  resolvable: boolean;
  extents: UnresolvedVmfsExtent[];
}

export type VmfsResolution = 'forceMount' | 'resignature';

export interface VmfsResolutionResult {
  devicePaths: string[];
  /** UUID and name of the mounted volume; after a resignature, the new ones. */
  vmfsUuid: string | null;
  name: string | null;
}

/** What an operation did: `changed: false` means the goal already held and nothing was sent. */
export interface OperationOutcome {
  changed: boolean;
  detail: string;
}

export interface ShutdownOutcome extends OperationOutcome {
  /** How the VM went down: `guest` (clean), `powerOff` (forced), `none` (already off). */
  method: 'guest' | 'powerOff' | 'none';
}

export interface PowerOnManyOutcome {
  /** VMs that were already on: nothing was sent for them. */
  alreadyOn: VmRef[];
  /** VMs started by the datacenter-level batch. */
  startedByBatch: VmRef[];
  /** VMs the batch did not start, started one by one. */
  startedIndividually: VmRef[];
}

export interface RegisterOutcome extends OperationOutcome {
  vm: VmRef;
}
