import type { Topology } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { QueueProcessor } from './worker.js';

export interface ProcessorDeps {
  topology: Topology;
  env: Record<string, string | undefined>;
  log: Logger;
}

/** The queues this worker serves. Each capability adds its processor here. */
export function processors(_deps: ProcessorDeps): QueueProcessor[] {
  return [];
}
