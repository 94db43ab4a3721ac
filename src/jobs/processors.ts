import type { Topology } from '../config/schema.js';
import type { Logger } from '../log.js';
import { maintenanceQueueProcessor } from './maintenance/wiring.js';
import { preflightProcessor } from './preflight/processor.js';
import { runQueueProcessors } from './run/worker-processors.js';
import type { QueueProcessor } from './worker.js';

export interface ProcessorDeps {
  topology: Topology;
  env: Record<string, string | undefined>;
  log: Logger;
}

/** The queues this worker serves: the run engine, preflight, and maintenance reminders. */
export function processors(deps: ProcessorDeps): QueueProcessor[] {
  return [...runQueueProcessors(deps), preflightProcessor(deps), maintenanceQueueProcessor(deps)];
}
