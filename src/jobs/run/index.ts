// The run engine: run store, checkpoints, BullMQ flow, locks, controls, audit, progress, report.
export { type AuditEntry, history } from './audit.js';
export { RunControl, type SkipInput, type SubmitInput } from './control.js';
export { createEngineEnv, type RunEngine, renewLocks, runProcessors, startRunEngine } from './engine.js';
export type { BaseStepContext, EngineDeps, EngineTimings, ExecutorsFor } from './engine-types.js';
export { type RunEvent, readEvents } from './events.js';
export { RUN_QUEUE, runKeys, UNIT_QUEUE } from './keys.js';
export { acquireRunLock, activeRuns, releaseRunLock } from './locks.js';
export {
  buildRunReport,
  formatDuration,
  loadRunReport,
  type RunReport,
  renderRunReportMarkdown,
} from './report.js';
export { getRunState, type RunState, runState } from './run-state.js';
export { RunStore } from './run-store.js';
export type * from './types.js';
export { isTerminal } from './types.js';
