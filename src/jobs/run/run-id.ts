import { randomBytes } from 'node:crypto';

/** Short, human-typable run id: `r-7f3a2c`. */
export function newRunId(): string {
  return `r-${randomBytes(3).toString('hex')}`;
}

export const RUN_ID_PATTERN = /^r-[0-9a-f]{6}$/;
