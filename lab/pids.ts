import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

// Recorded PIDs are only trusted while they still name the same process: PIDs are reused, and
// `lab down` must never signal a stranger. A process is identified by its command line and its
// start time (field 22 of /proc/<pid>/stat, in clock ticks since boot), both read at start.

export interface ProcessRecord {
  role: string;
  pid: number;
  cmdline: string[];
  startTicks: number;
}

interface Observed {
  cmdline: string[];
  startTicks: number;
  zombie: boolean;
}

async function observe(pid: number): Promise<Observed | undefined> {
  try {
    const [cmd, stat] = await Promise.all([
      readFile(`/proc/${pid}/cmdline`, 'utf8'),
      readFile(`/proc/${pid}/stat`, 'utf8'),
    ]);
    // The command name in stat may contain spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      cmdline: cmd.split('\0').filter((s, i, all) => s !== '' || i < all.length - 1),
      startTicks: Number(fields[19]),
      zombie: fields[0] === 'Z',
    };
  } catch {
    return undefined;
  }
}

export async function recordProcess(role: string, pid: number): Promise<ProcessRecord> {
  const o = await observe(pid);
  if (!o) throw new Error(`process ${pid} (${role}) exited during start`);
  return { role, pid, cmdline: o.cmdline, startTicks: o.startTicks };
}

/** True while `r.pid` is still the process that was recorded (a zombie counts as gone). */
export async function isRecordedProcess(r: ProcessRecord): Promise<boolean> {
  const o = await observe(r.pid);
  if (!o || o.zombie) return false;
  return o.startTicks === r.startTicks && o.cmdline.join('\0') === r.cmdline.join('\0');
}

async function waitGone(records: ProcessRecord[], ms: number): Promise<ProcessRecord[]> {
  const deadline = Date.now() + ms;
  let alive = records;
  for (;;) {
    alive = (
      await Promise.all(alive.map(async (r) => ((await isRecordedProcess(r)) ? r : undefined)))
    ).filter((r): r is ProcessRecord => r !== undefined);
    if (alive.length === 0 || Date.now() >= deadline) return alive;
    await sleep(50);
  }
}

function signal(r: ProcessRecord, sig: NodeJS.Signals): void {
  try {
    process.kill(r.pid, sig);
  } catch {
    // Already gone between the check and the signal.
  }
}

export interface StopOutcome {
  /** Processes that were running and are now gone. */
  stopped: ProcessRecord[];
  /** Needed SIGKILL after the grace period. */
  killed: ProcessRecord[];
  /** Already gone, or the PID now belongs to another process (left alone). */
  absent: ProcessRecord[];
  /** Still there even after SIGKILL. */
  remaining: ProcessRecord[];
}

/** SIGTERM each recorded process that is still the same process, SIGKILL after `graceMs`. */
export async function stopProcesses(records: ProcessRecord[], graceMs = 5_000): Promise<StopOutcome> {
  const checks = await Promise.all(records.map(isRecordedProcess));
  const running = records.filter((_, i) => checks[i]);
  const absent = records.filter((_, i) => !checks[i]);
  for (const r of running) signal(r, 'SIGTERM');
  const stubborn = await waitGone(running, graceMs);
  for (const r of stubborn) signal(r, 'SIGKILL');
  const remaining = await waitGone(stubborn, 2_000);
  return {
    stopped: running.filter((r) => !remaining.includes(r)),
    killed: stubborn.filter((r) => !remaining.includes(r)),
    absent,
    remaining,
  };
}
