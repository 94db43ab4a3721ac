// Bascule's own vSphere vim25 SOAP client. See client.ts for the entry point.

export { tlsFromConfig, VsphereClient } from './client.js';
export {
  VsphereAlreadyRegisteredError,
  VsphereError,
  type VsphereErrorCode,
  VsphereFaultError,
  VsphereTaskFailedError,
} from './errors.js';
export { type InventoryOptions, readInventory } from './inventory.js';
export {
  type OperationOptions,
  powerOn,
  powerOnMany,
  type RegisterOptions,
  type RelocateOptions,
  register,
  relocate,
  type ShutdownOptions,
  shutdownGuest,
  unregister,
} from './operations.js';
export { isFault, type VsphereConnectOptions, VsphereSession } from './session.js';
export {
  mountVmfs,
  queryUnresolvedVmfs,
  rescanAllHba,
  rescanVmfs,
  resolveUnresolvedVmfs,
  unmountVmfs,
  vmfsMounts,
} from './storage.js';
export { type InventoryScope, readScopedInventory } from './targeted.js';
export { certificateThumbprint, type VsphereLogger, type VsphereTls } from './transport.js';
export type * from './types.js';
