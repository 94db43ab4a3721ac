import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

// The console's persistent history: one line per command in $BASCULE_HISTORY or ~/.bascule_history,
// oldest first on disk; readline wants newest first.

export const HISTORY_SIZE = 1000;

export function historyPath(env: Record<string, string | undefined>): string {
  return env.BASCULE_HISTORY || join(env.HOME || homedir(), '.bascule_history');
}

/** Newest first, at most HISTORY_SIZE lines; nothing when the file is missing or unreadable. */
export function loadHistory(path: string): string[] {
  try {
    const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
    if (lines.length > 2 * HISTORY_SIZE) writeFileSync(path, `${lines.slice(-HISTORY_SIZE).join('\n')}\n`);
    return lines.slice(-HISTORY_SIZE).reverse();
  } catch {
    return [];
  }
}

/** Appends a line; a history that cannot be written must not break the console. */
export function appendHistory(path: string, line: string): void {
  try {
    appendFileSync(path, `${line.replace(/\n/g, ' ')}\n`, { mode: 0o600 });
  } catch {
    // Read-only home: history stays in memory.
  }
}
