import { readFileSync } from 'node:fs';
import { DsmClient, normaliseBaseUrl } from '../../adapters/dell-sc/client.js';
import { apiConnectionSchema, storageCenterListSchema } from '../../adapters/dell-sc/schema.js';
import { secret } from '../../config/env.js';
import type { ArrayConfig, Topology } from '../../config/schema.js';
import { errorMessage, isBasculeError } from '../../domain/errors.js';
import type { FencingProbe } from '../../domain/fencing.js';

// The fencing probe of a Dell Live Volume: DSM (the Data Collector) is asked whether the source
// site's Storage Center is connected. DSM itself not answering says nothing about the Storage
// Center (the Data Collector may live in either room): that probe is "unknown", not "silent".

export async function createDellScAdapterProbe(
  deps: { env: Readonly<Record<string, string | undefined>>; topology: Topology },
  array: Extract<ArrayConfig, { type: 'dell-dsm' }>,
  from: string,
  timeoutMs: number,
): Promise<FencingProbe> {
  const scNames = Object.entries(array.storageCenters)
    .filter(([, site]) => site === from)
    .map(([sc]) => sc);
  const target = `dsm ${array.name} Storage Center ${scNames.join('/') || `of ${from}`}`;
  if (scNames.length === 0) {
    return {
      target,
      outcome: 'unknown',
      detail: `no Storage Center of ${from} in storageCenters (sites.yaml)`,
    };
  }
  const client = new DsmClient({
    baseUrl: normaliseBaseUrl(array.url),
    user: secret({ ...deps.env }, array.userEnv),
    password: secret({ ...deps.env }, array.passwordEnv),
    apiVersion: array.apiVersion,
    ca: array.caFile ? readFileSync(array.caFile, 'utf8') : undefined,
    pollIntervalMs: 1_000,
    requestTimeoutMs: timeoutMs,
  });
  try {
    const signal = AbortSignal.timeout(timeoutMs * 2);
    const conn = await client.get('ApiConnection/ApiConnection', apiConnectionSchema, { signal });
    const scs = await client.get(
      `ApiConnection/ApiConnection/${conn.instanceId ?? '0'}/StorageCenterList`,
      storageCenterListSchema,
      { signal },
    );
    const mine = scs.filter((sc) =>
      [sc.instanceId, sc.name, sc.instanceName].some((n) => n !== undefined && scNames.includes(n)),
    );
    if (mine.length === 0) {
      return { target, outcome: 'unknown', detail: 'DSM does not list that Storage Center' };
    }
    const up = mine.filter((sc) => sc.connected !== false);
    return up.length > 0
      ? { target, outcome: 'answers', detail: 'connected in DSM' }
      : { target, outcome: 'silent', detail: 'not connected in DSM' };
  } catch (err) {
    return {
      target,
      outcome: 'unknown',
      detail: `DSM could not be asked: ${isBasculeError(err) ? `[${err.code}] ` : ''}${errorMessage(err)}`,
    };
  } finally {
    await client.close().catch(() => undefined);
  }
}
