import { setTimeout as delay } from 'node:timers/promises';
import type { BasculeError } from '../../domain/errors.js';

// Waiting between reads of a REST system (DSM, Zerto): bounded by a deadline, cut short by the
// caller's AbortSignal. Each adapter says how a timeout and a cancellation read in its own words.

export interface Deadline {
  at: number;
  what: string;
}

export function deadline(timeoutMs: number, what: string): Deadline {
  return { at: Date.now() + timeoutMs, what };
}

export interface PollErrors {
  timeout(what: string): BasculeError;
  aborted(what: string, cause: unknown): BasculeError;
}

export function pauser(errors: PollErrors) {
  return async function pause(ms: number, until: Deadline, signal: AbortSignal | undefined): Promise<void> {
    if (Date.now() + ms > until.at) throw errors.timeout(until.what);
    try {
      await delay(ms, undefined, { signal });
    } catch (err) {
      throw errors.aborted(until.what, err);
    }
  };
}
