import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// The demo's worker: `bascule worker` as its own process, like the Procfile's, resolved once it
// says it has started.

const bin = fileURLToPath(new URL('../../../bin/bascule.js', import.meta.url));

export function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  // The worker's start line is an info log: it must log at info even when the demo's commands don't.
  const child = spawn(process.execPath, [bin, 'worker'], {
    env: { ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolvePromise, reject) => {
    let out = '';
    let started = false;
    child.stdout?.on('data', (d: Buffer) => {
      // Only the start line matters; the rest of its log would grow without end.
      if (started) return;
      out += d.toString();
      if (out.includes('bascule worker started')) {
        started = true;
        out = '';
        resolvePromise(child);
      }
    });
    child.stderr?.on('data', (d: Buffer) => {
      out = (out + d.toString()).slice(-4000);
    });
    child.on('exit', (code) => {
      if (!started) reject(new Error(`the worker stopped (exit ${code}): ${out.slice(-2000)}`));
    });
  });
}

/** Stops the worker and waits for it: it finishes the step in hand, then closes its queues and Redis. */
export function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    // It exits by itself once its queues, Redis and infrastructure sessions are closed; one that
    // does not within 10 s (a step hung on the lab) must not hang the demo.
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
