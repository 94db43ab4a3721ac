import { BasculeError, type BasculeErrorOptions } from '../../domain/errors.js';
import type { MoRef } from './types.js';

// Every failure of the vSphere adapter is one of these, with a stable code the job engine matches
// on, the vim25 method that failed, and a hint for the operator. `retryable` answers "may the job
// engine run this step again?": operations re-read state first, so a retry never repeats work
// that already happened; it is false when a retry cannot succeed without a human.

export type VsphereErrorCode =
  | 'VSPHERE_FAULT'
  | 'VSPHERE_TLS'
  | 'VSPHERE_TRANSPORT'
  | 'VSPHERE_TIMEOUT'
  | 'VSPHERE_ABORTED'
  | 'VSPHERE_TASK_FAILED'
  | 'VSPHERE_PROTOCOL'
  | 'VSPHERE_CONFLICT'
  | 'VSPHERE_INVALID_ARGUMENT';

export interface VsphereErrorOptions extends BasculeErrorOptions {
  method: string;
}

export class VsphereError extends BasculeError {
  declare readonly code: VsphereErrorCode;
  /** vim25 method (or operation) that failed. */
  readonly method: string;

  constructor(code: VsphereErrorCode, message: string, options: VsphereErrorOptions) {
    super(code, message, { ...options, details: { method: options.method, ...options.details } });
    this.method = options.method;
  }
}

/** A SOAP fault, or a fault inside a failed task: vCenter refused or could not do the call. */
export class VsphereFaultError extends VsphereError {
  /** vim25 fault type, such as `InvalidPowerState`, `NotAuthenticated`, `ManagedObjectNotFound`. */
  readonly faultType: string;

  constructor(
    method: string,
    faultType: string,
    message: string,
    options: Omit<VsphereErrorOptions, 'method'> = {},
  ) {
    const known = faultAdvice[faultType];
    super('VSPHERE_FAULT', `${method} failed: ${faultType}: ${message}`, {
      hint: known?.hint ?? defaultFaultHint,
      retryable: known?.retryable ?? false,
      ...options,
      method,
      details: { faultType, ...options.details },
    });
    this.faultType = faultType;
  }
}

export class VsphereTaskFailedError extends VsphereError {
  readonly faultType: string;
  readonly task: string;

  constructor(
    method: string,
    task: string,
    faultType: string,
    message: string,
    details: Record<string, unknown>,
  ) {
    const known = faultAdvice[faultType];
    super('VSPHERE_TASK_FAILED', `${method} task ${task} failed: ${faultType}: ${message}`, {
      method,
      hint: known?.hint ?? 'Open the task in the vSphere client (Monitor > Tasks) for the full error.',
      retryable: known?.retryable ?? false,
      details: { task, faultType, ...details },
    });
    this.faultType = faultType;
    this.task = task;
  }
}

/** RegisterVM refused: the .vmx is already registered, but not where it was asked to be. */
export class VsphereAlreadyRegisteredError extends VsphereError {
  /** The VM that already holds this .vmx. */
  readonly vm: MoRef;

  constructor(vmxPath: string, vm: MoRef, where: Record<string, unknown>) {
    super(
      'VSPHERE_CONFLICT',
      `${vmxPath} is already registered as ${vm.value}, outside the requested resource pool`,
      {
        method: 'RegisterVM_Task',
        retryable: false,
        hint:
          'The VM exists elsewhere in vCenter (a half-finished earlier run, or a manual registration): check it, ' +
          'then unregister it there or migrate it instead of registering again.',
        details: { vmxPath, vm: vm.value, ...where },
      },
    );
    this.vm = vm;
  }
}

const defaultFaultHint = 'Check the object in the vSphere client and the vCenter events for this call.';

const faultAdvice: Record<string, { hint: string; retryable: boolean }> = {
  NotAuthenticated: {
    hint: 'The vCenter session expired and logging in again did not help; check the service account in vCenter.',
    retryable: true,
  },
  InvalidLogin: {
    hint: 'Check the vCenter user and password in the environment variables named by userEnv/passwordEnv in sites.yaml.',
    retryable: false,
  },
  NoPermission: {
    hint: 'Grant the vCenter role of the Bascule account the privilege named in details.privilegeId.',
    retryable: false,
  },
  ManagedObjectNotFound: {
    hint: 'The object was removed or re-registered since the inventory was read; refresh the inventory and plan again.',
    retryable: false,
  },
  InvalidPowerState: {
    hint: 'The VM is not in the power state this step expects; refresh the inventory and re-run the step.',
    retryable: false,
  },
  InvalidState: {
    hint: 'vCenter refused the action in the current state of the object (busy, in maintenance); wait and retry.',
    retryable: true,
  },
  TaskInProgress: {
    hint: 'Another task is running on this object; wait for it to finish in the vSphere client, then retry.',
    retryable: true,
  },
  ToolsUnavailable: {
    hint: 'VMware Tools is not running in the guest: shut it down from inside the guest, or allow a forced power-off.',
    retryable: false,
  },
  SystemError: {
    hint: 'vCenter reported an internal error; retry, and read the vCenter logs (vpxd.log) if it persists.',
    retryable: true,
  },
  HostCommunication: {
    hint: 'vCenter cannot reach the ESXi host; check the host connection state, then retry.',
    retryable: true,
  },
  HostNotConnected: {
    hint: 'The ESXi host is disconnected from vCenter; reconnect it, then retry.',
    retryable: true,
  },
  InvalidArgument: {
    hint: 'vCenter rejected an argument (see details); this is a Bascule bug or an inventory change: report it.',
    retryable: false,
  },
  InvalidRequest: {
    hint: 'vCenter could not read the request; this is a Bascule bug: report it with the details.',
    retryable: false,
  },
  MethodNotFound: {
    hint: 'This vCenter does not support the call; check the vCenter version against the supported ones.',
    retryable: false,
  },
  AlreadyExists: {
    hint: 'An object with this name or file already exists in vCenter; check the inventory.',
    retryable: false,
  },
  NotFound: {
    hint: 'vCenter did not find the file or device named in the call; rescan the host storage and check the path.',
    retryable: false,
  },
  ResourceInUse: {
    hint: 'The datastore or device is still in use (running VMs, open files); free it, then retry.',
    retryable: true,
  },
  PlatformConfigFault: {
    hint: 'The host refused the storage change; read the message and the host log (vmkernel.log).',
    retryable: false,
  },
};
