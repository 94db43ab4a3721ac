import { secret } from '../../config/env.js';
import type { Topology } from '../../config/schema.js';
import { BasculeError } from '../../domain/errors.js';
import type { ProtectedUnit } from '../../domain/replication.js';
import { createDellScAdapter } from '../dell-sc/index.js';
import { createStorwizeAdapter, storwizeSecrets } from '../storwize/index.js';
import { createZertoAdapter } from '../zerto/index.js';
import type { ReplicationAdapter, ZertoReplicationAdapter } from './types.js';

// Builds the replication adapters the topology names, once, from the secrets in the environment
// object handed in (entry points read the environment; adapters never do). Adapters open their
// connections lazily, so a worker that only ever touches Zerto never logs in to the arrays.

export interface ReplicationAdapters {
  /** The adapter that drives this unit (by the unit's array and method). */
  forUnit(unit: ProtectedUnit): ReplicationAdapter;
  /** Zerto's extra verbs (commit, rollback, test failover) for a Zerto unit. */
  zerto(unit: ProtectedUnit): ZertoReplicationAdapter;
  close(): Promise<void>;
}

export interface ReplicationAdapterOptions {
  /** Polling interval for arrays and managers (tests and the lab use short ones). */
  pollIntervalMs?: number;
}

export function buildReplicationAdapters(
  topology: Topology,
  env: Readonly<Record<string, string | undefined>>,
  options: ReplicationAdapterOptions = {},
): ReplicationAdapters {
  const built = new Map<string, ReplicationAdapter>();
  const storwizeArrays = topology.arrays.filter((a) => a.type === 'storwize');
  const poll = options.pollIntervalMs;

  const build = (arrayName: string): ReplicationAdapter => {
    const config = topology.arrays.find((a) => a.name === arrayName);
    if (!config) {
      throw new BasculeError('ADAPTER_UNKNOWN_ARRAY', `no array named "${arrayName}" in sites.yaml`, {
        hint: 'Check the protection entry and the arrays section of sites.yaml.',
      });
    }
    switch (config.type) {
      case 'storwize':
        // One adapter for every Storwize array: a unit's state is read from either side of its
        // partnership, and the surviving side is used when one site is down.
        return createStorwizeAdapter({
          arrays: storwizeArrays,
          secrets: storwizeSecrets(storwizeArrays, env),
          ...(poll ? { timings: { pollIntervalMs: poll } } : {}),
        });
      case 'dell-dsm':
        return createDellScAdapter({
          config,
          user: secret(env, config.userEnv),
          password: secret(env, config.passwordEnv),
          ...(poll ? { pollIntervalMs: poll } : {}),
        });
      case 'zerto':
        return createZertoAdapter({
          config,
          credentials: {
            user: config.userEnv ? env[config.userEnv] : undefined,
            password: config.passwordEnv ? env[config.passwordEnv] : undefined,
            clientId: config.clientIdEnv ? env[config.clientIdEnv] : undefined,
            clientSecret: config.clientSecretEnv ? env[config.clientSecretEnv] : undefined,
          },
          ...(poll ? { pollIntervalMs: poll } : {}),
        });
    }
  };

  const get = (arrayName: string): ReplicationAdapter => {
    const key =
      topology.arrays.find((a) => a.name === arrayName)?.type === 'storwize' ? 'storwize' : arrayName;
    let adapter = built.get(key);
    if (!adapter) {
      adapter = build(arrayName);
      built.set(key, adapter);
    }
    return adapter;
  };

  return {
    forUnit(unit) {
      const adapter = get(unit.array);
      if (adapter.kind !== unit.method) {
        throw new BasculeError(
          'ADAPTER_METHOD_MISMATCH',
          `unit ${unit.id} uses ${unit.method} but array ${unit.array} is driven by the ${adapter.kind} adapter`,
          { hint: 'Fix the protection entry in sites.yaml: method and array type must agree.' },
        );
      }
      return adapter;
    },
    zerto(unit) {
      const adapter = this.forUnit(unit);
      if (adapter.kind !== 'zerto') {
        throw new BasculeError('ADAPTER_METHOD_MISMATCH', `unit ${unit.id} is not a Zerto VPG`);
      }
      return adapter as ZertoReplicationAdapter;
    },
    async close() {
      const all = [...built.values()];
      built.clear();
      const results = await Promise.allSettled(all.map((a) => a.close()));
      const failed = results.find((r) => r.status === 'rejected');
      if (failed && failed.status === 'rejected') throw failed.reason;
    },
  };
}
