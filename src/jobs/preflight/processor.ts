import type { Job } from 'bullmq';
import { readEnvOptions } from '../../config/env.js';
import type { Topology } from '../../config/schema.js';
import type { MoveRequest, PreflightResult } from '../../domain/preflight/types.js';
import type { Logger } from '../../log.js';
import { KEY_PREFIX } from '../redis.js';
import { activeRuns } from '../run/locks.js';
import { RunStore } from '../run/run-store.js';
import { unrefRedis } from '../run/worker-processors.js';
import type { QueueProcessor } from '../worker.js';
import { gatherPreflight } from './gather.js';

// The `bascule-preflight` queue: the bot asks for a preflight, a worker gathers it (vCenter,
// arrays, active runs) and stores the result for an hour under `bascule:preflight:<jobId>`.

export const PREFLIGHT_QUEUE = 'bascule-preflight';
const RESULT_TTL_SECONDS = 3600;

export interface PreflightJobData {
  request: MoveRequest;
  requestedBy?: string;
}

export interface PreflightJobResult {
  key: string;
  blocked: boolean;
  planHash: string;
  findings: number;
}

export const preflightResultKey = (jobId: string, prefix = KEY_PREFIX) => `${prefix}:preflight:${jobId}`;

export async function readPreflightResult(
  redis: { get(key: string): Promise<string | null> },
  jobId: string,
  prefix = KEY_PREFIX,
): Promise<PreflightResult | null> {
  const json = await redis.get(preflightResultKey(jobId, prefix));
  return json === null ? null : (JSON.parse(json) as PreflightResult);
}

export function preflightProcessor(deps: {
  topology: Topology;
  env: Record<string, string | undefined>;
}): QueueProcessor {
  let store: RunStore | null = null;
  const getStore = () => {
    const env = readEnvOptions(deps.env);
    store ??= new RunStore(unrefRedis(env.redisUrl), env.keyPrefix);
    return store;
  };
  return {
    queue: PREFLIGHT_QUEUE,
    concurrency: 2,
    async process(job: Job, log: Logger): Promise<PreflightJobResult> {
      const data = job.data as PreflightJobData;
      const s = getStore();
      const result = await gatherPreflight(
        { topology: deps.topology, env: deps.env, activeRuns: () => activeRuns(s), log },
        data.request,
      );
      const key = preflightResultKey(job.id ?? 'unknown', s.keys.prefix);
      await s.redis.set(key, JSON.stringify(result), 'EX', RESULT_TTL_SECONDS);
      log.info({ blocked: result.blocked, findings: result.findings.length }, 'preflight stored');
      return { key, blocked: result.blocked, planHash: result.plan.hash, findings: result.findings.length };
    },
  };
}
