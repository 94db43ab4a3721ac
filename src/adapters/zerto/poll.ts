import { pauser } from '../http/poll.js';
import { ZertoError } from './errors.js';

export { type Deadline, deadline } from '../http/poll.js';

export const pause = pauser({
  timeout: (what) =>
    new ZertoError('ZERTO_TIMEOUT', `timed out waiting for ${what}`, {
      retryable: true,
      hint: 'Check the VPG and its task in the Zerto UI; running the unit again resumes from the VPG state.',
    }),
  aborted: (what, cause) => new ZertoError('ZERTO_ABORTED', `cancelled while waiting for ${what}`, { cause }),
});
