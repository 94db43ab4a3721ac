import { setTimeout as delay } from 'node:timers/promises';
import { DsmError } from './errors.js';

// Waiting between reads: bounded by a deadline, cut short by the caller's AbortSignal.

export interface Deadline {
  at: number;
  what: string;
}

export function deadline(timeoutMs: number, what: string): Deadline {
  return { at: Date.now() + timeoutMs, what };
}

export async function pause(ms: number, until: Deadline, signal: AbortSignal | undefined): Promise<void> {
  if (Date.now() + ms > until.at) {
    throw new DsmError('DSM_TIMEOUT', `timed out waiting for ${until.what}`, {
      retryable: true,
      hint: 'Check the Live Volume in DSM (Storage > Live Volumes); running the unit again resumes where it stopped.',
    });
  }
  try {
    await delay(ms, undefined, { signal });
  } catch (err) {
    throw new DsmError('DSM_ABORTED', `cancelled while waiting for ${until.what}`, { cause: err });
  }
}
