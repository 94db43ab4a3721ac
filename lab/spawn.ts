import { type ChildProcess, spawn } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { LabError } from './errors.js';
import { type LabEndpoints, labEndpointsSchema } from './lab-info.js';
import type { LabProcessStart } from './process.js';

// Starts lab/process.ts as a detached process (own session, output to <dir>/lab-process.log, an IPC
// channel for the hand-shake only), so the lab survives the `bascule lab up` that started it.

const reply = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), endpoints: labEndpointsSchema }),
  z.object({ type: z.literal('failed'), message: z.string() }),
]);

export const labProcessEntry = fileURLToPath(new URL('./process.ts', import.meta.url));

function tsxLoader(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
}

async function logTail(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-15).join('\n');
}

export interface SpawnedLab {
  child: ChildProcess;
  pid: number;
  endpoints: LabEndpoints;
  logPath: string;
}

export async function spawnLabProcess(
  start: Omit<LabProcessStart, 'type'>,
  timeoutMs: number,
): Promise<SpawnedLab> {
  const logPath = join(start.dir, 'lab-process.log');
  const log = await open(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, ['--import', tsxLoader(), labProcessEntry, '--lab-dir', start.dir], {
      cwd: start.dir,
      detached: true,
      stdio: ['ignore', log.fd, log.fd, 'ipc'],
    });
  } finally {
    await log.close();
  }
  const pid = child.pid;
  const failure = async (why: string) =>
    new LabError(
      'LAB_START_FAILED',
      `the lab process ${why}; last lines of ${logPath}:\n${await logTail(logPath)}`,
    );
  try {
    if (pid === undefined) throw await failure('could not be started');
    const endpoints = await new Promise<LabEndpoints>((resolve, reject) => {
      const timer = setTimeout(
        () => void failure(`did not report ready within ${Math.round(timeoutMs / 1000)} s`).then(reject),
        timeoutMs,
      );
      const settle = () => clearTimeout(timer);
      child.on('message', (raw) => {
        settle();
        const m = reply.safeParse(raw);
        if (!m.success)
          reject(
            new LabError('LAB_START_FAILED', `unexpected message from the lab process: ${m.error.message}`),
          );
        else if (m.data.type === 'failed') void failure(`failed: ${m.data.message}`).then(reject);
        else resolve(m.data.endpoints);
      });
      child.on('exit', (code, signal) => {
        settle();
        void failure(`exited during start (${signal ?? `code ${code}`})`).then(reject);
      });
      child.on('error', (err) => {
        settle();
        reject(
          new LabError('LAB_START_FAILED', `cannot start the lab process: ${err.message}`, { cause: err }),
        );
      });
      child.send({ type: 'start', ...start } satisfies LabProcessStart);
    });
    child.removeAllListeners();
    child.disconnect();
    child.unref();
    return { child, pid: pid as number, endpoints, logPath };
  } catch (err) {
    child.removeAllListeners();
    if (child.connected) child.disconnect();
    if (pid !== undefined) await killGroup(child, pid);
    throw err;
  }
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // The group is already empty.
  }
}

/**
 * A lab process that failed mid-start may not have stopped what it had started yet. It leads its
 * own process group (detached), and vcsim is in that group: SIGTERM the group, give the leader a
 * moment to clean up, then SIGKILL whatever is left in it.
 */
async function killGroup(child: ChildProcess, pid: number): Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  signalGroup(pid, 'SIGTERM');
  const grace = new AbortController();
  await Promise.race([exited, sleep(5_000, undefined, { signal: grace.signal }).catch(() => undefined)]);
  grace.abort();
  signalGroup(pid, 'SIGKILL');
  child.unref();
}
