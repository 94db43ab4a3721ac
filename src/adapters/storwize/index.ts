import type { StorwizeArrayConfig } from '../../config/schema.js';
import { StorwizeAdapter } from './adapter.js';
import { StorwizeError } from './errors.js';
import type { StorwizeAdapterOptions, StorwizeSecret } from './types.js';

export { StorwizeAdapter } from './adapter.js';
export { isStorwizeError, StorwizeError, type StorwizeErrorCode } from './errors.js';
export { isObjectName } from './names.js';
export type {
  RcState,
  RcView,
  ResyncOptions,
  StorwizeAdapterOptions,
  StorwizeSecret,
  StorwizeTimings,
} from './types.js';

export function createStorwizeAdapter(options: StorwizeAdapterOptions): StorwizeAdapter {
  return new StorwizeAdapter(options);
}

/**
 * The login secrets of the Storwize arrays, from an environment object the caller passes (the
 * adapter itself never reads process.env). A key wins over a password when both are set.
 */
export function storwizeSecrets(
  arrays: readonly StorwizeArrayConfig[],
  env: Readonly<Record<string, string | undefined>>,
): Record<string, StorwizeSecret> {
  const out: Record<string, StorwizeSecret> = {};
  for (const a of arrays) {
    const privateKey = a.privateKeyEnv ? env[a.privateKeyEnv] : undefined;
    const password = a.passwordEnv ? env[a.passwordEnv] : undefined;
    if (privateKey) out[a.name] = { privateKey };
    else if (password) out[a.name] = { password };
    else {
      const names = [a.privateKeyEnv, a.passwordEnv].filter((n): n is string => n !== undefined);
      throw new StorwizeError('STORWIZE_CONFIG', `no login secret for Storwize array ${a.name}`, {
        hint: `Set ${names.join(' or ') || 'privateKeyEnv or passwordEnv in sites.yaml'} in the environment.`,
      });
    }
  }
  return out;
}
