import { type ObjectContent, taskInfoOf } from './decode.js';
import { VsphereError, VsphereFaultError, VsphereTaskFailedError } from './errors.js';
import { readObject, readObjects } from './retrieve.js';
import { isFault, type VsphereSession } from './session.js';
import { type CallOptions, sleep } from './transport.js';
import type { MoRef, TaskInfo, TaskProgress, WaitOptions } from './types.js';
import type { XmlNode } from './xml.js';

// Waiting for tasks by polling `Task.info` with RetrievePropertiesEx. WaitForUpdatesEx would tell
// us sooner, but it needs a private PropertyCollector and filter per waiter (one collector cannot
// serve concurrent waits), each long poll holds one of the few sockets to vCenter, and those
// objects belong to the session: when the session expires mid-wait they vanish and the wait has
// to be rebuilt. A poll is stateless, survives a re-login transparently, and costs one small call.
//
// The poll is paced by how long the wait has lasted (PollPacer), not by a fixed schedule tuned
// for one kind of task: the next read comes after a twentieth of the time waited so far, between
// pollFloorMs and maxPollMs. Whatever a task takes (75 ms in the lab, minutes in production),
// its end is seen at most ~5 % plus one round trip late, at a cost that grows with the log of
// its duration: ~140 reads for a 60 s task, then one every 2 s. Concurrent waiters share their
// reads (batchedRead), so a unit's dozens of waits cost vCenter little more than one.
// Lateness adds up: a unit's steps run one after the other, each ending with a wait.

/** Shortest gap between two reads of the same object: a few round trips of a busy vCenter. */
export const pollFloorMs = 10;
export const maxPollMs = 2_000;
/** Fraction of the time waited so far that the next read waits. */
const pollFraction = 0.05;
const defaultTimeoutMs = 30 * 60_000;

export class PollPacer {
  private readonly start = performance.now();

  constructor(
    private readonly floorMs = pollFloorMs,
    private readonly ceilingMs = maxPollMs,
  ) {}

  /**
   * Delay before the next read, ending on the next multiple of the floor on the process clock:
   * concurrent waiters then wake in the same turn of the event loop, and their reads go out
   * together (batchedRead).
   */
  next(): number {
    const now = performance.now();
    const delay = Math.min(this.ceilingMs, Math.max(this.floorMs, (now - this.start) * pollFraction));
    return Math.ceil((now + delay) / this.floorMs) * this.floorMs - now;
  }
}

// Reads of the same properties of objects of one type, asked for in the same turn of the event
// loop (the polls of concurrent waiters: the tasks and guests of every unit a worker runs), go
// out as one RetrievePropertiesEx. Each caller still gets a read made after it asked.

interface PendingRead {
  obj: MoRef;
  resolve(props: Map<string, XmlNode> | null): void;
  reject(err: unknown): void;
}

interface ReadQueue {
  type: string;
  paths: readonly string[];
  items: PendingRead[];
}

const readQueues = new WeakMap<VsphereSession, Map<string, ReadQueue>>();

/** Like readObject, batched with the same reads of other callers (see above). */
export function batchedRead(
  session: VsphereSession,
  obj: MoRef,
  paths: readonly string[],
  options: CallOptions = {},
): Promise<Map<string, XmlNode> | null> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(abortedRead(signal.reason));
  let queues = readQueues.get(session);
  if (queues === undefined) {
    queues = new Map();
    readQueues.set(session, queues);
  }
  const key = `${obj.type}\n${paths.join('\n')}`;
  let queue = queues.get(key);
  if (queue === undefined) {
    const q: ReadQueue = { type: obj.type, paths, items: [] };
    queues.set(key, q);
    queue = q;
    setImmediate(() => {
      queues.delete(key);
      void flushReads(session, q);
    });
  }
  const pending = queue;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortedRead(signal?.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => signal?.removeEventListener('abort', onAbort);
    pending.items.push({
      obj,
      resolve: (props) => {
        done();
        resolve(props);
      },
      reject: (err) => {
        done();
        reject(err);
      },
    });
  });
}

function abortedRead(reason: unknown): VsphereError {
  return new VsphereError('VSPHERE_ABORTED', 'RetrievePropertiesEx: cancelled while reading', {
    method: 'RetrievePropertiesEx',
    hint: 'The step was cancelled; what vCenter already started keeps running, so check it before re-running.',
    cause: reason,
  });
}

async function flushReads(session: VsphereSession, queue: ReadQueue): Promise<void> {
  const objs = [...new Map(queue.items.map((i) => [i.obj.value, i.obj])).values()];
  if (objs.length === 1) {
    const [only] = objs;
    try {
      const props = only === undefined ? null : await readObject(session, only, queue.paths);
      for (const i of queue.items) i.resolve(props);
    } catch (err) {
      for (const i of queue.items) i.reject(err);
    }
    return;
  }
  let found: Map<string, ObjectContent>;
  try {
    const objects = await readObjects(session, objs, queue.paths);
    found = new Map(objects.map((o) => [o.obj.value, o]));
  } catch (err) {
    // vCenter refuses the whole call when one object of it is gone: each caller asks alone then.
    if (!isFault(err, 'ManagedObjectNotFound')) {
      for (const i of queue.items) i.reject(err);
      return;
    }
    await Promise.all(
      queue.items.map((i) => readObject(session, i.obj, queue.paths).then(i.resolve, i.reject)),
    );
    return;
  }
  for (const i of queue.items) {
    const o = found.get(i.obj.value);
    const failed = o?.missing[0];
    if (o === undefined || o.missing.every((m) => m.fault.faultType === 'ManagedObjectNotFound')) {
      i.resolve(o === undefined || failed !== undefined ? null : o.props);
    } else if (failed !== undefined) {
      i.reject(
        new VsphereFaultError('RetrievePropertiesEx', failed.fault.faultType, failed.fault.message, {
          details: { object: `${i.obj.type}:${i.obj.value}`, path: failed.path, ...failed.fault.details },
        }),
      );
    }
  }
}

export class Deadline {
  private readonly end: number;

  constructor(
    readonly timeoutMs: number,
    private readonly what: string,
    private readonly method: string,
  ) {
    this.end = Date.now() + timeoutMs;
  }

  get remainingMs(): number {
    return this.end - Date.now();
  }

  get expired(): boolean {
    return this.remainingMs <= 0;
  }

  timeoutError(hint: string, details: Record<string, unknown> = {}): VsphereError {
    return new VsphereError('VSPHERE_TIMEOUT', `${this.what} did not finish within ${this.timeoutMs} ms`, {
      method: this.method,
      retryable: true,
      hint,
      details,
    });
  }
}

/** Sleeps at most until the deadline; an abort becomes VSPHERE_ABORTED. */
export async function pause(
  ms: number,
  deadline: Deadline,
  method: string,
  signal?: AbortSignal,
): Promise<void> {
  try {
    await sleep(Math.max(0, Math.min(ms, deadline.remainingMs)), signal);
  } catch (reason) {
    throw new VsphereError('VSPHERE_ABORTED', `${method}: cancelled while waiting`, {
      method,
      hint: 'The step was cancelled; what vCenter already started keeps running, so check it before re-running.',
      cause: reason,
    });
  }
}

/** Calls the operator's progress callback; a failing callback is logged, never allowed to break the wait. */
export function report(
  session: VsphereSession,
  onProgress: WaitOptions['onProgress'],
  p: TaskProgress,
): void {
  if (onProgress === undefined) return;
  try {
    onProgress(p);
  } catch (err) {
    session.logger?.warn({ err, task: p.task?.value }, 'progress callback failed');
  }
}

async function readTaskInfo(
  session: VsphereSession,
  task: MoRef,
  method: string,
  options: WaitOptions,
): Promise<TaskInfo> {
  const props = await batchedRead(session, task, ['info'], { signal: options.signal });
  const info = props?.get('info');
  if (info === undefined) {
    throw new VsphereError(
      'VSPHERE_TASK_FAILED',
      `${method}: task ${task.value} vanished from vCenter before it finished`,
      {
        method,
        retryable: true,
        hint: 'vCenter forgot the task (restart or task expiry); re-run the step: it reads the state first.',
        details: { task: task.value },
      },
    );
  }
  return taskInfoOf(info);
}

/**
 * Polls a task until `success` (returns its info) or `error` (throws VSPHERE_TASK_FAILED with the
 * vim25 fault), reporting progress on every change.
 */
export async function waitForTask(
  session: VsphereSession,
  task: MoRef,
  method: string,
  options: WaitOptions = {},
): Promise<TaskInfo> {
  const deadline = new Deadline(
    options.timeoutMs ?? defaultTimeoutMs,
    `${method} task ${task.value}`,
    method,
  );
  const pacer = new PollPacer();
  let last = '';
  for (;;) {
    // Nothing is finished the instant it is submitted: even the first read waits one pace.
    await pause(pacer.next(), deadline, method, options.signal);
    const info = await readTaskInfo(session, task, method, options);
    const key = `${info.state}/${info.progress}`;
    if (key !== last) {
      last = key;
      const what = info.entityName ? `${method} ${info.entityName}` : method;
      const percent = info.state === 'success' ? 100 : info.progress;
      report(session, options.onProgress, {
        task,
        state: info.state,
        percent,
        message: percent === null ? `${what}: ${info.state}` : `${what}: ${info.state} ${percent}%`,
      });
    }
    if (info.state === 'success') return info;
    if (info.state === 'error') {
      const fault = info.error ?? { faultType: 'MethodFault', message: 'no error reported', details: {} };
      throw new VsphereTaskFailedError(method, task.value, fault.faultType, fault.message, {
        entity: info.entityName,
        ...fault.details,
      });
    }
    if (deadline.expired) {
      throw deadline.timeoutError(
        'The task is still running in vCenter: watch it in the vSphere client (Monitor > Tasks) before re-running.',
        { task: task.value, progress: info.progress },
      );
    }
  }
}

export type TaskOutcome = { task: MoRef; info: TaskInfo } | { task: MoRef; error: VsphereError };

/**
 * Waits for several tasks running side by side (the per-VM tasks of a PowerOnMultiVM_Task) with
 * one read of all those still running per pace, instead of one waiter and one read each. Each
 * task ends with its info or its typed error; only an abort is thrown.
 */
export async function waitForTasks(
  session: VsphereSession,
  tasks: readonly MoRef[],
  method: string,
  options: WaitOptions = {},
): Promise<TaskOutcome[]> {
  const deadline = new Deadline(options.timeoutMs ?? defaultTimeoutMs, `${method} tasks`, method);
  const pacer = new PollPacer();
  const ended = new Map<string, TaskOutcome>();
  let pending = [...tasks];
  // The tasks started before this wait did (with their batch): the first read goes at once.
  let first = true;
  while (pending.length > 0) {
    if (!first) await pause(pacer.next(), deadline, method, options.signal);
    first = false;
    const seen = new Map(
      (await readObjects(session, pending, ['info'], { signal: options.signal })).map((o) => [
        o.obj.value,
        o.props.get('info'),
      ]),
    );
    for (const task of pending) {
      const node = seen.get(task.value);
      if (node === undefined) {
        ended.set(task.value, {
          task,
          error: new VsphereError(
            'VSPHERE_TASK_FAILED',
            `${method}: task ${task.value} vanished from vCenter`,
            {
              method,
              retryable: true,
              hint: 'vCenter forgot the task (restart or task expiry); re-run the step: it reads the state first.',
              details: { task: task.value },
            },
          ),
        });
        continue;
      }
      const info = taskInfoOf(node);
      if (info.state === 'success') ended.set(task.value, { task, info });
      if (info.state === 'error') {
        const fault = info.error ?? { faultType: 'MethodFault', message: 'no error reported', details: {} };
        ended.set(task.value, {
          task,
          error: new VsphereTaskFailedError(method, task.value, fault.faultType, fault.message, {
            entity: info.entityName,
            ...fault.details,
          }),
        });
      }
    }
    pending = pending.filter((t) => !ended.has(t.value));
    if (pending.length > 0 && deadline.expired) {
      for (const task of pending) {
        ended.set(task.value, {
          task,
          error: deadline.timeoutError(
            'The task is still running in vCenter: watch it in the vSphere client (Monitor > Tasks) before re-running.',
            { task: task.value },
          ),
        });
      }
      pending = [];
    }
  }
  return tasks.map((t) => ended.get(t.value) as TaskOutcome);
}

/** Task result as a MoRef (RegisterVM_Task returns the new VM). */
export function taskResultRef(info: TaskInfo, method: string): MoRef {
  if (info.resultRef === null) {
    throw new VsphereError(
      'VSPHERE_PROTOCOL',
      `${method}: task ${info.task.value} succeeded without a result`,
      {
        method,
        hint: 'Refresh the inventory to find the object the task created.',
      },
    );
  }
  return info.resultRef;
}
