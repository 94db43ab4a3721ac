import { setTimeout as delay } from 'node:timers/promises';
import { ZertoError } from './errors.js';

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
    throw new ZertoError('ZERTO_TIMEOUT', `timed out waiting for ${until.what}`, {
      retryable: true,
      hint: 'Check the VPG and its task in the Zerto UI; running the unit again resumes from the VPG state.',
    });
  }
  try {
    await delay(ms, undefined, { signal });
  } catch (err) {
    throw new ZertoError('ZERTO_ABORTED', `cancelled while waiting for ${until.what}`, { cause: err });
  }
}
