import { BasculeError, type BasculeErrorOptions } from '../src/domain/errors.js';

// Errors of the lab's orchestration (`bascule lab up|down|status`), with the next step to take.

export type LabErrorCode =
  | 'LAB_NOT_FOUND'
  | 'LAB_ALREADY_RUNNING'
  | 'LAB_START_FAILED'
  | 'LAB_STATE_INVALID'
  | 'LAB_STOP_FAILED';

const hints: Record<LabErrorCode, string> = {
  LAB_NOT_FOUND: 'Start one with `bascule lab up`, or pass the --dir it was started with.',
  LAB_ALREADY_RUNNING: 'Stop it with `bascule lab down` first, or start another one with a different --dir.',
  LAB_START_FAILED: 'Read the lab log named above; `bascule lab down` cleans up what did start.',
  LAB_STATE_INVALID:
    'The lab directory was edited or is from another version; stop stray processes and delete it.',
  LAB_STOP_FAILED: 'Check the processes listed with `ps`, then run `bascule lab down` again.',
};

export class LabError extends BasculeError {
  constructor(code: LabErrorCode, message: string, options: BasculeErrorOptions = {}) {
    super(code, message, { hint: hints[code], ...options });
  }
}
