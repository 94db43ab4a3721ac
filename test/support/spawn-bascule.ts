import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Runs the real `bascule` entry point as a child process, the way the Procfile does, and collects
// its JSON log lines so tests can wait for one.

export const binPath = fileURLToPath(new URL('../../bin/bascule.js', import.meta.url));
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface LogLine {
  msg?: string;
  level?: number;
  [key: string]: unknown;
}

export interface SpawnedBascule {
  child: ChildProcessWithoutNullStreams;
  lines: LogLine[];
  stderr: () => string;
  waitForLine(predicate: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnBascule(args: string[], env: Record<string, string>): SpawnedBascule {
  const child = spawn(process.execPath, [binPath, ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
  });
  const lines: LogLine[] = [];
  const waiters: Array<() => void> = [];
  let buffer = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl = buffer.indexOf('\n');
    while (nl >= 0) {
      const text = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        lines.push(JSON.parse(text) as LogLine);
      } catch {
        lines.push({ msg: text, raw: true });
      }
      for (const w of waiters.splice(0)) w();
      nl = buffer.indexOf('\n');
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      for (const w of waiters.splice(0)) w();
      resolve({ code, signal });
    });
  });
  return {
    child,
    lines,
    stderr: () => err,
    exit,
    async waitForLine(predicate, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines.find(predicate);
        if (found) return found;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(
            `no matching log line (exit ${child.exitCode}); stdout:\n${lines.map((l) => JSON.stringify(l)).join('\n')}\nstderr:\n${err}`,
          );
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 200);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
  };
}
