import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import type { LabModel } from '../model.js';
import { ensureVcsimBinary } from './build.js';
import { VcsimError } from './errors.js';

export { ensureVcsimBinary, vcsimBinaryPath } from './build.js';
export { VcsimError } from './errors.js';

// Starts the lab's vCenter (lab/vcsim, govmomi's simulator extended) as a child process.

export interface LabCerts {
  caPath: string;
  caKeyPath: string;
  certPath: string;
  keyPath: string;
}

export interface StartVcsimOptions {
  model: LabModel;
  /** Working directory: model.json, certificates (made when missing), vcsim.log. */
  dir: string;
  /** Factor applied to the model's task durations (default 1). */
  timeScale?: number;
  /** Keep vcsim running after this process exits (`bascule lab up` in the background). */
  detached?: boolean;
  /** How long to wait for the ready line (the large lab takes seconds on two cores). */
  readyTimeoutMs?: number;
}

export interface VcsimHandle {
  /** https://127.0.0.1:PORT/sdk */
  url: string;
  /** https://127.0.0.1:PORT/lab */
  controlUrl: string;
  /** The lab CA that signed vcsim's certificate: clients trust this and nothing else. */
  caPem: string;
  pid: number;
  logPath: string;
  stop(): Promise<void>;
}

const readyLineSchema = z.object({
  url: z.string().url(),
  control: z.string().url(),
  pid: z.number().int().positive(),
});

function certPaths(dir: string): LabCerts {
  return {
    caPath: join(dir, 'ca.pem'),
    caKeyPath: join(dir, 'ca-key.pem'),
    certPath: join(dir, 'server.pem'),
    keyPath: join(dir, 'server-key.pem'),
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function run(binary: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(err) : reject(new Error(`exit ${code}: ${err.trim()}`)),
    );
  });
}

/** Writes a lab CA and a server certificate for 127.0.0.1, ::1 and localhost into dir. */
export async function generateLabCerts(dir: string): Promise<LabCerts> {
  const binary = await ensureVcsimBinary();
  await mkdir(dir, { recursive: true });
  try {
    await run(binary, ['--gen-certs', dir]);
  } catch (err) {
    throw new VcsimError('VCSIM_START_FAILED', `vcsim --gen-certs ${dir} failed: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return certPaths(dir);
}

// Children still running when this process exits are killed, so that a crashed test run leaves no
// simulator behind (attached children also exit on their own when their stdin closes).
const attached = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // SIGTERM, not SIGKILL: vcsim then removes its datastore files (kept in /dev/shm).
  process.once('exit', () => {
    for (const child of attached) child.kill('SIGTERM');
  });
}

async function logTail(path: string): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    return text.split('\n').slice(-20).join('\n').trim();
  } catch {
    return '';
  }
}

async function waitForReady(
  child: ChildProcess,
  timeoutMs: number,
): Promise<z.infer<typeof readyLineSchema>> {
  if (!child.stdout) throw new Error('vcsim stdout is not a pipe');
  const lines = createInterface({ input: child.stdout });
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    const first = once(lines, 'line', { signal: ac.signal }).then(([line]) => String(line));
    const exited = once(child, 'exit', { signal: ac.signal }).then(([code, signal]) => {
      throw new Error(`vcsim exited before it was ready (${signal ?? `exit ${code}`})`);
    });
    const line = await Promise.race([first, exited]);
    const parsed = readyLineSchema.safeParse(JSON.parse(line));
    if (!parsed.success) throw new Error(`unexpected ready line from vcsim: ${line}`);
    return parsed.data;
  } catch (err) {
    if (ac.signal.aborted) throw new Error(`vcsim was not ready after ${timeoutMs} ms`);
    throw err;
  } finally {
    clearTimeout(timer);
    ac.abort();
    lines.close();
  }
}

/** Starts vcsim on 127.0.0.1 (free port) with the model, and resolves once it serves. */
export async function startVcsim(o: StartVcsimOptions): Promise<VcsimHandle> {
  // BASCULE_VCSIM_BINARY runs another build, e.g. one made with `go build -race` while debugging.
  const binary = process.env.BASCULE_VCSIM_BINARY ?? (await ensureVcsimBinary());
  await mkdir(o.dir, { recursive: true });
  const certs = certPaths(o.dir);
  if (!((await exists(certs.caPath)) && (await exists(certs.certPath)) && (await exists(certs.keyPath)))) {
    await generateLabCerts(o.dir);
  }
  const modelPath = join(o.dir, 'model.json');
  await writeFile(modelPath, JSON.stringify(o.model));
  const caPem = await readFile(certs.caPath, 'utf8');
  const logPath = join(o.dir, 'vcsim.log');
  const log = await open(logPath, 'a');
  const args = [
    '--model',
    modelPath,
    '--listen',
    '127.0.0.1:0',
    '--cert',
    certs.certPath,
    '--key',
    certs.keyPath,
    '--time-scale',
    String(o.timeScale ?? 1),
  ];
  if (!o.detached) args.push('--watch-stdin');
  let child: ChildProcess;
  try {
    child = spawn(binary, args, { stdio: ['pipe', 'pipe', log.fd], detached: o.detached ?? false });
  } finally {
    await log.close();
  }
  if (!o.detached) {
    attached.add(child);
    installExitHook();
  }
  // Settles on exit, or on a spawn error (then there is no exit event).
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  let ready: z.infer<typeof readyLineSchema>;
  try {
    ready = await waitForReady(child, o.readyTimeoutMs ?? 120_000);
  } catch (err) {
    child.kill('SIGKILL');
    attached.delete(child);
    throw new VcsimError(
      'VCSIM_START_FAILED',
      `${(err as Error).message}; log ${logPath}:\n${await logTail(logPath)}`,
      {
        cause: err,
      },
    );
  }
  if (o.detached) {
    child.stdin?.destroy();
    child.stdout?.destroy();
    child.unref();
  }
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      // The large lab takes seconds to delete its datastore files on exit.
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      try {
        await exited;
      } finally {
        clearTimeout(killer);
        attached.delete(child);
      }
    })();
    return stopping;
  };
  return { url: ready.url, controlUrl: ready.control, caPem, pid: ready.pid, logPath, stop };
}
