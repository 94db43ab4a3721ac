import type { Writable } from 'node:stream';

// One file per CLI command under src/cli/commands/, each exporting a `CliCommand`. main.ts only
// dispatches: it finds the command by name, handles --help, and maps thrown errors to exit codes.

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** Preflight found something that blocks the move. */
  blocked: 3,
} as const;

export interface CliContext {
  env: Record<string, string | undefined>;
  stdout: Writable;
  stderr: Writable;
  cwd: string;
}

export interface CliCommand {
  /** Words that select it: ['config', 'check'] for `bascule config check`. */
  name: string[];
  summary: string;
  /** Usage line(s) shown by --help and with usage errors. */
  usage: string;
  run(args: string[], ctx: CliContext): Promise<number>;
}
