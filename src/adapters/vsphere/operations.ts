import { children, moRefOf, optMoRef, optReturnMoRef } from './decode.js';
import * as enc from './encode.js';
import { VsphereAlreadyRegisteredError, VsphereError, VsphereFaultError } from './errors.js';
import { readObjects } from './retrieve.js';
import { isFault, type VsphereSession } from './session.js';
import {
  batchedRead,
  Deadline,
  PollPacer,
  pause,
  report,
  taskResultRef,
  waitForTask,
  waitForTasks,
} from './tasks.js';
import type {
  MoRef,
  OperationOutcome,
  PowerOnManyOutcome,
  RegisterOutcome,
  ShutdownOutcome,
  TaskInfo,
  VmRef,
  WaitOptions,
} from './types.js';
import { refText, sameRef } from './types.js';

// VM operations. Each one reads the VM first and does nothing when the goal already holds, then
// reads it again after acting: a step re-run after a crash or a timeout neither repeats nor skips
// work, and never trusts a task's "success" alone.

export type OperationOptions = WaitOptions;

const defaultTaskTimeoutMs = 10 * 60_000;

interface VmState {
  name: string;
  powerState: string;
  /** `connected`, or `disconnected` and the like when its host is lost. */
  connectionState: string;
  toolsRunning: boolean;
  host: MoRef | null;
  pool: MoRef | null;
}

const vmStatePaths = [
  'name',
  'runtime.powerState',
  'runtime.connectionState',
  'guest.toolsRunningStatus',
  'runtime.host',
  'resourcePool',
];

async function tryReadVm(
  session: VsphereSession,
  vm: MoRef,
  options: OperationOptions,
): Promise<VmState | null> {
  const props = await batchedRead(session, vm, vmStatePaths, { signal: options.signal });
  if (props === null) return null;
  const where = `VirtualMachine ${vm.value}`;
  const host = props.get('runtime.host');
  const pool = props.get('resourcePool');
  return {
    name: props.get('name')?.text ?? vm.value,
    powerState: props.get('runtime.powerState')?.text ?? '',
    connectionState: props.get('runtime.connectionState')?.text ?? 'connected',
    toolsRunning: props.get('guest.toolsRunningStatus')?.text === 'guestToolsRunning',
    host: host === undefined ? null : moRefOf(host, `${where} runtime.host`),
    pool: pool === undefined ? null : moRefOf(pool, `${where} resourcePool`),
  };
}

async function readVm(
  session: VsphereSession,
  vm: MoRef,
  method: string,
  options: OperationOptions,
): Promise<VmState> {
  const state = await tryReadVm(session, vm, options);
  if (state === null) {
    throw new VsphereFaultError(method, 'ManagedObjectNotFound', `VM ${vm.value} is not in vCenter`, {
      details: { vm: vm.value },
    });
  }
  return state;
}

async function runTask(
  session: VsphereSession,
  call: enc.MethodCall,
  options: OperationOptions,
): Promise<TaskInfo> {
  const task = await session.invoke(call, (res) => optReturnMoRef(res, call.method), {
    signal: options.signal,
  });
  if (task === null) {
    throw new VsphereError('VSPHERE_PROTOCOL', `${call.method}: vCenter returned no task`, {
      method: call.method,
      hint: 'Check the object in the vSphere client; this vCenter answered in an unexpected way.',
    });
  }
  return waitForTask(session, task, call.method, {
    ...options,
    timeoutMs: options.timeoutMs ?? defaultTaskTimeoutMs,
  });
}

export interface ShutdownOptions extends Omit<OperationOptions, 'timeoutMs'> {
  /** How long the guest gets to shut down cleanly (limits.shutdownTimeout). */
  timeoutMs: number;
  /** After the timeout, or without VMware Tools: power off (true) or stop with an error (false). */
  forceOffAfterTimeout: boolean;
  /** Limit for the PowerOffVM_Task of the fallback. */
  powerOffTimeoutMs?: number;
}

async function forcePowerOff(
  session: VsphereSession,
  vm: MoRef,
  why: string,
  shutdown: ShutdownOptions,
): Promise<ShutdownOutcome> {
  const { powerOffTimeoutMs, timeoutMs: _guestTimeout, ...rest } = shutdown;
  const options: OperationOptions =
    powerOffTimeoutMs === undefined ? rest : { ...rest, timeoutMs: powerOffTimeoutMs };
  report(session, options.onProgress, {
    task: null,
    state: null,
    percent: null,
    message: `${vm.value}: powering off (${why})`,
  });
  try {
    await runTask(session, enc.powerOffVm(vm), options);
  } catch (err) {
    // The guest may have finished shutting down between our read and the power-off.
    if (
      !isFault(err, 'InvalidPowerState') &&
      !(err instanceof VsphereError && err.code === 'VSPHERE_TASK_FAILED')
    )
      throw err;
    const after = await readVm(session, vm, 'PowerOffVM_Task', options);
    if (after.powerState !== 'poweredOff') throw err;
  }
  return { changed: true, method: 'powerOff', detail: `powered off (${why})` };
}

/**
 * Clean guest shutdown: ShutdownGuest, then polls `runtime.powerState` until poweredOff. Without
 * VMware Tools, or when the guest does not stop in time, powers off if the policy allows it.
 */
export async function shutdownGuest(
  session: VsphereSession,
  vm: VmRef,
  options: ShutdownOptions,
): Promise<ShutdownOutcome> {
  const before = await readVm(session, vm, 'ShutdownGuest', options);
  if (before.powerState === 'poweredOff')
    return { changed: false, method: 'none', detail: 'already powered off' };
  const noTools = (message: string) =>
    new VsphereFaultError('ShutdownGuest', 'ToolsUnavailable', message, {
      details: { vm: vm.value, name: before.name },
      hint: 'VMware Tools is not running in the guest: shut it down from inside the guest, or allow a forced power-off (limits.forceOffAfterTimeout).',
    });
  if (before.powerState === 'suspended') {
    if (options.forceOffAfterTimeout)
      return forcePowerOff(session, vm, 'suspended, no guest to shut down', options);
    throw noTools(`${before.name} is suspended: no running guest to shut down`);
  }
  if (!before.toolsRunning) {
    if (options.forceOffAfterTimeout) return forcePowerOff(session, vm, 'VMware Tools not running', options);
    throw noTools(`VMware Tools is not running in ${before.name}`);
  }

  try {
    await session.invoke(enc.shutdownGuest(vm), () => undefined, { signal: options.signal });
  } catch (err) {
    if (isFault(err, 'ToolsUnavailable') && options.forceOffAfterTimeout) {
      return forcePowerOff(session, vm, 'VMware Tools not running', options);
    }
    if (!isFault(err, 'InvalidPowerState')) throw err;
    // Raced with something else powering it off: fine if it is off now.
    const now = await readVm(session, vm, 'ShutdownGuest', options);
    if (now.powerState !== 'poweredOff') throw err;
    return { changed: false, method: 'none', detail: 'powered off meanwhile' };
  }

  const deadline = new Deadline(options.timeoutMs, `guest shutdown of ${before.name}`, 'ShutdownGuest');
  const pacer = new PollPacer();
  for (;;) {
    // The guest cannot be off the instant ShutdownGuest returns: the first read waits one pace.
    await pause(pacer.next(), deadline, 'ShutdownGuest', options.signal);
    const state = await readVm(session, vm, 'ShutdownGuest', options);
    if (state.powerState === 'poweredOff')
      return { changed: true, method: 'guest', detail: 'guest shut down' };
    if (deadline.expired) break;
    report(session, options.onProgress, {
      task: null,
      state: null,
      percent: null,
      message: `${before.name}: waiting for the guest to shut down`,
    });
  }
  if (options.forceOffAfterTimeout) {
    return forcePowerOff(session, vm, `guest did not stop within ${options.timeoutMs} ms`, options);
  }
  throw deadline.timeoutError(
    'The guest did not shut down in time and forced power-off is not allowed: check the guest console, ' +
      'then shut it down by hand or re-run with forceOffAfterTimeout.',
    { vm: vm.value, name: before.name },
  );
}

async function verifyOn(
  session: VsphereSession,
  vm: MoRef,
  method: string,
  options: OperationOptions,
): Promise<void> {
  const after = await readVm(session, vm, method, options);
  if (after.powerState !== 'poweredOn') {
    throw new VsphereError(
      'VSPHERE_TASK_FAILED',
      `${method}: ${after.name} is ${after.powerState} after the task`,
      {
        method,
        retryable: true,
        hint: 'vCenter reported success but the VM is not on; check its events in the vSphere client.',
        details: { vm: vm.value, powerState: after.powerState },
      },
    );
  }
}

export async function powerOn(
  session: VsphereSession,
  vm: VmRef,
  options: OperationOptions & { host?: MoRef } = {},
): Promise<OperationOutcome> {
  const before = await readVm(session, vm, 'PowerOnVM_Task', options);
  if (before.powerState === 'poweredOn') return { changed: false, detail: 'already powered on' };
  await runTask(session, enc.powerOnVm(vm, options.host), options);
  await verifyOn(session, vm, 'PowerOnVM_Task', options);
  return { changed: true, detail: 'powered on' };
}

/** Tasks of ClusterPowerOnVmResult.attempted, so each VM's own power-on can be waited for. */
function attemptedTasks(info: TaskInfo): MoRef[] {
  const out: MoRef[] = [];
  for (const a of children(info.result ?? undefined, 'attempted')) {
    const task = optMoRef(a, 'task', 'ClusterPowerOnVmResult.attempted');
    if (task !== null) out.push(task);
  }
  return out;
}

/**
 * Powers on several VMs with one PowerOnMultiVM_Task on their datacenter (DRS places them and
 * respects the cluster rules), then checks each VM; VMs the batch did not start (DRS declined,
 * the call is unsupported, the batch failed) are started one by one.
 */
export async function powerOnMany(
  session: VsphereSession,
  datacenter: MoRef,
  vms: readonly VmRef[],
  options: OperationOptions = {},
): Promise<PowerOnManyOutcome> {
  const states = async (refs: readonly VmRef[]) => {
    const objects = await readObjects(session, refs, ['runtime.powerState'], { signal: options.signal });
    const on = new Set(
      objects.filter((o) => o.props.get('runtime.powerState')?.text === 'poweredOn').map((o) => o.obj.value),
    );
    return { on: refs.filter((r) => on.has(r.value)), off: refs.filter((r) => !on.has(r.value)) };
  };
  const before = await states(vms);
  if (before.off.length === 0) return { alreadyOn: before.on, startedByBatch: [], startedIndividually: [] };

  try {
    const info = await runTask(session, enc.powerOnMultiVm(datacenter, before.off), options);
    // The per-VM tasks started with the batch and run beside each other: waited for together.
    for (const out of await waitForTasks(session, attemptedTasks(info), 'PowerOnVM_Task', options)) {
      if (!('error' in out)) continue;
      // Not final: the VM is tried again alone below, and that error is the one reported.
      session.logger?.warn(
        { err: out.error, task: out.task.value },
        'a power-on of the batch failed; retrying that VM alone',
      );
    }
  } catch (err) {
    if (err instanceof VsphereError && err.code === 'VSPHERE_ABORTED') throw err;
    // Not final either: every VM still off is powered on alone below, with its own typed error.
    session.logger?.warn({ err }, 'PowerOnMultiVM_Task failed; powering on one by one');
  }

  const after = await states(before.off);
  const failures: VsphereError[] = [];
  const startedIndividually: VmRef[] = [];
  for (const vm of after.off) {
    try {
      await powerOn(session, vm, options);
      startedIndividually.push(vm);
    } catch (err) {
      if (!(err instanceof VsphereError) || err.code === 'VSPHERE_ABORTED') throw err;
      failures.push(err);
    }
  }
  const [first] = failures;
  if (first !== undefined) {
    throw new VsphereError(
      'VSPHERE_TASK_FAILED',
      `${failures.length} of ${vms.length} VMs did not power on: ${first.message}`,
      {
        method: 'PowerOnMultiVM_Task',
        retryable: failures.every((f) => f.retryable),
        hint: first.hint ?? 'Check the listed VMs in the vSphere client.',
        details: { failures: failures.map((f) => ({ code: f.code, message: f.message, ...f.details })) },
        cause: first,
      },
    );
  }
  return { alreadyOn: before.on, startedByBatch: after.on, startedIndividually };
}

/** Removes the VM from the inventory (its files stay). No-op when it is not registered any more. */
export async function unregister(
  session: VsphereSession,
  vm: VmRef,
  options: OperationOptions = {},
): Promise<OperationOutcome> {
  const before = await tryReadVm(session, vm, options);
  if (before === null) return { changed: false, detail: 'not registered' };
  // A VM whose host is lost (failover) keeps its last power state in vCenter; it is not running
  // anywhere vCenter can reach, and removing its entry is how the lost room's VMs are cleared.
  if (before.powerState === 'poweredOn' && before.connectionState === 'connected') {
    throw new VsphereFaultError('UnregisterVM', 'InvalidPowerState', `${before.name} is powered on`, {
      details: { vm: vm.value, name: before.name, existingState: before.powerState, checkedBy: 'bascule' },
      hint: 'Shut the VM down first; Bascule never unregisters a running VM.',
    });
  }
  try {
    await session.invoke(enc.unregisterVm(vm), () => undefined, { signal: options.signal });
  } catch (err) {
    // Gone between the read and the call: the goal holds.
    if (!isFault(err, 'ManagedObjectNotFound')) throw err;
  }
  return { changed: true, detail: 'unregistered' };
}

export interface RegisterOptions extends OperationOptions {
  /** Datacenter whose datastores hold the .vmx (used to look the path up). */
  datacenter: MoRef;
  /** The datacenter's vmFolder, or a folder below it. */
  folder: MoRef;
  /** Root resource pool of the destination cluster. */
  pool: MoRef;
  host?: MoRef;
  name?: string;
}

/**
 * Registers a .vmx. If that file is already registered in the destination resource pool, returns
 * that VM without doing anything; if it is registered elsewhere, refuses (VSPHERE_CONFLICT,
 * carrying the existing VM) rather than creating a second VM on the same files.
 */
export async function register(
  session: VsphereSession,
  vmxPath: string,
  options: RegisterOptions,
): Promise<RegisterOutcome> {
  const existing = await session.invoke(
    enc.findByDatastorePath(session.content.searchIndex, options.datacenter, vmxPath),
    (res) => optReturnMoRef(res, 'FindByDatastorePath'),
    { signal: options.signal },
  );
  if (existing !== null) {
    if (existing.type !== 'VirtualMachine') {
      throw new VsphereError(
        'VSPHERE_PROTOCOL',
        `FindByDatastorePath returned a ${existing.type}, not a VM`,
        {
          method: 'FindByDatastorePath',
          hint: 'Check the path in the vSphere client; this vCenter answered in an unexpected way.',
        },
      );
    }
    const vm: VmRef = { type: 'VirtualMachine', value: existing.value };
    const state = await tryReadVm(session, vm, options);
    if (state !== null && sameRef(state.pool, options.pool)) {
      return { changed: false, vm, detail: `already registered as ${vm.value}` };
    }
    if (state !== null) {
      throw new VsphereAlreadyRegisteredError(vmxPath, vm, {
        resourcePool: state.pool?.value ?? null,
        host: state.host?.value ?? null,
        wantedPool: options.pool.value,
      });
    }
  }
  const info = await runTask(
    session,
    enc.registerVm(options.folder, {
      path: vmxPath,
      ...(options.name === undefined ? {} : { name: options.name }),
      asTemplate: false,
      pool: options.pool,
      ...(options.host === undefined ? {} : { host: options.host }),
    }),
    options,
  );
  const vm: VmRef = { type: 'VirtualMachine', value: taskResultRef(info, 'RegisterVM_Task').value };
  return { changed: true, vm, detail: `registered as ${vm.value}` };
}

export interface RelocateOptions extends OperationOptions {
  /** Destination host, in the other site's cluster. */
  host: MoRef;
  /** Root resource pool of the destination cluster. */
  pool: MoRef;
  folder?: MoRef;
}

/** vMotion (or cold migration when off) to a host and pool of the other cluster, same datastores. */
export async function relocate(
  session: VsphereSession,
  vm: VmRef,
  options: RelocateOptions,
): Promise<OperationOutcome> {
  const before = await readVm(session, vm, 'RelocateVM_Task', options);
  if (sameRef(before.host, options.host) && sameRef(before.pool, options.pool)) {
    return { changed: false, detail: `already on ${options.host.value}` };
  }
  await runTask(
    session,
    enc.relocateVm(vm, {
      ...(options.folder === undefined ? {} : { folder: options.folder }),
      pool: options.pool,
      host: options.host,
    }),
    options,
  );
  const after = await readVm(session, vm, 'RelocateVM_Task', options);
  if (!sameRef(after.pool, options.pool)) {
    throw new VsphereError(
      'VSPHERE_TASK_FAILED',
      `RelocateVM_Task: ${after.name} is not in ${refText(options.pool)} after the task`,
      {
        method: 'RelocateVM_Task',
        retryable: true,
        hint: 'vCenter reported success but the VM is elsewhere (DRS, another operator); check it in the vSphere client.',
        details: { vm: vm.value, host: after.host?.value ?? null, resourcePool: after.pool?.value ?? null },
      },
    );
  }
  return { changed: true, detail: `moved to ${after.host?.value ?? options.host.value}` };
}
