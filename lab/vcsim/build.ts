import { spawn } from 'node:child_process';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { VcsimError } from './errors.js';

// Builds lab/vcsim/bin/vcsim from the Go sources next to this file. Parallel test workers all call
// ensureVcsimBinary(); a lock file makes one of them build while the others wait, and the binary is
// renamed into place so nobody ever runs a half-written file.

export const vcsimSourceDir = dirname(fileURLToPath(import.meta.url));
export const vcsimBinaryPath = join(vcsimSourceDir, 'bin', 'vcsim');
const lockPath = join(vcsimSourceDir, 'bin', '.build.lock');

/** A build that has not finished after this long is assumed dead (its lock is taken over). */
const staleLockMs = 10 * 60_000;

async function mtimeMs(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function isFresh(): Promise<boolean> {
  const built = await mtimeMs(vcsimBinaryPath);
  if (built === undefined) return false;
  const sources = (await readdir(vcsimSourceDir)).filter((f) => f.endsWith('.go'));
  for (const f of sources) {
    const m = await mtimeMs(join(vcsimSourceDir, f));
    if (m !== undefined && m > built) return false;
  }
  return true;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the lock is held by a live build; removes a lock left by a dead or stuck one. */
async function lockHeld(): Promise<boolean> {
  let text: string;
  let age: number;
  try {
    [text, age] = await Promise.all([
      readFile(lockPath, 'utf8'),
      stat(lockPath).then((s) => Date.now() - s.mtimeMs),
    ]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  const pid = Number.parseInt(text, 10);
  if (Number.isInteger(pid) && pid > 0 && processAlive(pid) && age < staleLockMs) return true;
  await rm(lockPath, { force: true });
  return false;
}

async function tryLock(): Promise<boolean> {
  try {
    const fh = await open(lockPath, 'wx');
    await fh.writeFile(String(process.pid));
    await fh.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

function goBuild(output: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('go', ['build', '-o', output, '.'], {
      cwd: vcsimSourceDir,
      env: { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        reject(new VcsimError('VCSIM_GO_MISSING', 'cannot build vcsim: the `go` command is not installed'));
      } else {
        reject(new VcsimError('VCSIM_BUILD_FAILED', `cannot run go build: ${err.message}`, { cause: err }));
      }
    });
    child.on('close', (code) => {
      if (code === 0) {
        resolve();
      } else if (/cannot find package "github.com\/vmware\/govmomi/.test(out)) {
        reject(new VcsimError('VCSIM_GO_MISSING', `cannot build vcsim: govmomi is not installed\n${out}`));
      } else {
        reject(new VcsimError('VCSIM_BUILD_FAILED', `go build of lab/vcsim failed (exit ${code}):\n${out}`));
      }
    });
  });
}

/** Path of lab/vcsim/bin/vcsim, built first when missing or older than a .go file. */
export async function ensureVcsimBinary(): Promise<string> {
  if (await isFresh()) return vcsimBinaryPath;
  await mkdir(dirname(vcsimBinaryPath), { recursive: true });
  for (;;) {
    if (await tryLock()) break;
    // Another worker is building: wait for it, then use its binary (or take over a dead lock).
    while (await lockHeld()) await sleep(250);
    if (await isFresh()) return vcsimBinaryPath;
  }
  try {
    if (await isFresh()) return vcsimBinaryPath;
    const tmp = `${vcsimBinaryPath}.tmp-${process.pid}`;
    try {
      await goBuild(tmp);
      await rename(tmp, vcsimBinaryPath);
    } finally {
      await rm(tmp, { force: true });
    }
  } finally {
    await rm(lockPath, { force: true });
  }
  return vcsimBinaryPath;
}
