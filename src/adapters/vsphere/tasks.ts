import { taskInfoOf } from './decode.js';
import { VsphereError, VsphereTaskFailedError } from './errors.js';
import { readObject } from './retrieve.js';
import type { VsphereSession } from './session.js';
import { sleep } from './transport.js';
import type { MoRef, TaskInfo, TaskProgress, WaitOptions } from './types.js';

// Waiting for tasks by polling `Task.info` with RetrievePropertiesEx, with a growing interval
// (50 ms up to 2 s). WaitForUpdatesEx would tell us sooner, but it needs a private
// PropertyCollector and filter per waiter (one collector cannot serve concurrent waits), and those
// belong to the session: when the session expires mid-wait they vanish and the wait has to be
// rebuilt. A poll is stateless, survives a re-login transparently, and costs one small call per
// interval, which is nothing next to tasks that last seconds to minutes.

const firstPollMs = 50;
const maxPollMs = 2_000;
const defaultTimeoutMs = 30 * 60_000;

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
  const props = await readObject(session, task, ['info'], { signal: options.signal });
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
  let delay = firstPollMs;
  let last = '';
  for (;;) {
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
    await pause(delay, deadline, method, options.signal);
    delay = Math.min(delay * 1.5, maxPollMs);
  }
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
