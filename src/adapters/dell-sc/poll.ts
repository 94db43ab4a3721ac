import { pauser } from '../http/poll.js';
import { DsmError } from './errors.js';

export { type Deadline, deadline } from '../http/poll.js';

export const pause = pauser({
  timeout: (what) =>
    new DsmError('DSM_TIMEOUT', `timed out waiting for ${what}`, {
      retryable: true,
      hint: 'Check the Live Volume in DSM (Storage > Live Volumes); running the unit again resumes where it stopped.',
    }),
  aborted: (what, cause) => new DsmError('DSM_ABORTED', `cancelled while waiting for ${what}`, { cause }),
});
