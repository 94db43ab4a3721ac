// The lab's public entry: start/stop/inspect a whole lab, or assemble parts of it in a test.
// See lab/CONTRACT.md for what each part simulates.

export { type DsmSim, type DsmSimOptions, startDsmSim } from './dsm/index.js';
export { LabError, type LabErrorCode } from './errors.js';
export { type Lab, labStatus, type StartLabOptions, startLab, stopLab } from './lab.js';
export { dsmArrayName, labEnvNames, labTopology, zertoArrayName } from './lab-config.js';
export {
  type LabCredentials,
  type LabEndpoints,
  type LabInfo,
  labJsonPath,
  readLabInfo,
  requireLabInfo,
} from './lab-info.js';
export { buildLabModel, type LabModel, type LabModelOptions, type LabSize } from './model.js';
export { type LabHandles, type LabParts, type LabPartsOptions, startLabParts } from './parts.js';
export * from './slack/index.js';
export type { LabPartStatus, LabStatus } from './status.js';
export { type StorwizeSim, type StorwizeSimOptions, startStorwizeSim } from './storwize/index.js';
export { ensureVcsimBinary, generateLabCerts, startVcsim } from './vcsim/index.js';
export { startZertoSim, type ZertoSim, type ZertoSimOptions } from './zerto/index.js';
