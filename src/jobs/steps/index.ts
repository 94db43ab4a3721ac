import { mountDatastore, rescanHosts, unmountDatastore } from './datastores.js';
import { createPowerOnVms, type PowerOnOptions } from './power-on-vms.js';
import { createRegisterVms, type RegisterOptions } from './register-vms.js';
import { makeReplicaWritable, resyncReplication, swapRoles, switchReplication } from './replication.js';
import { shutdownVms } from './shutdown-vms.js';
import type { StepExecutors } from './types.js';
import { unregisterVms } from './unregister-vms.js';
import { verify } from './verify.js';
import { vmotionVms } from './vmotion-vms.js';
import { zertoCommit, zertoFailover, zertoMove } from './zerto.js';
import { zertoTestStart, zertoTestStop } from './zerto-test.js';

// One executor per plan step kind: the run engine looks a step's executor up here by its kind.

export type StepExecutorOptions = PowerOnOptions & RegisterOptions;

/** The executors with non-default limits (tests shorten the Tools wait, register one at a time). */
export function createStepExecutors(options: StepExecutorOptions = {}): StepExecutors {
  return {
    'resync-replication': resyncReplication,
    'shutdown-vms': shutdownVms,
    'unregister-vms': unregisterVms,
    'unmount-datastore': unmountDatastore,
    'switch-replication': switchReplication,
    'make-replica-writable': makeReplicaWritable,
    'rescan-hosts': rescanHosts,
    'mount-datastore': mountDatastore,
    'register-vms': createRegisterVms(options),
    'power-on-vms': createPowerOnVms(options),
    'vmotion-vms': vmotionVms,
    'swap-roles': swapRoles,
    'zerto-move': zertoMove,
    'zerto-failover': zertoFailover,
    'zerto-commit': zertoCommit,
    'zerto-test-start': zertoTestStart,
    'zerto-test-stop': zertoTestStop,
    verify,
  };
}

export const stepExecutors: StepExecutors = createStepExecutors();

export { StepError, type StepErrorCode } from './errors.js';
export type { StepContext, StepExecutor, StepExecutors, StepOutcome, StepProgress } from './types.js';
