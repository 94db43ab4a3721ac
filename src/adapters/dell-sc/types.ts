import type { DellDsmConfig } from '../../config/schema.js';

export interface DellScAdapterOptions {
  config: DellDsmConfig;
  user: string;
  password: string;
  /** PEM of the CA to trust; default: read config.caFile, else the system store. */
  ca?: string;
  /** Polling interval for async tasks and role swaps; default 2 s. */
  pollIntervalMs?: number;
  /** Per-request limit for headers and body; default 30 s. */
  requestTimeoutMs?: number;
  /** After a SwapRoles task completes, how long the roles may stay unchanged before it counts as failed. */
  swapStartGraceMs?: number;
}
