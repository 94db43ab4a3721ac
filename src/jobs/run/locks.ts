import type { Redis } from 'ioredis';
import { BasculeError } from '../../domain/errors.js';
import type { ActiveRun } from '../../domain/preflight/types.js';
import { runScript } from '../redis.js';
import type { RunKeys } from './keys.js';
import type { RunStore } from './run-store.js';

// A run holds a lock on its two sites and on its units: Redis keys with an expiry, set all at once
// by a Lua script (all or nothing), renewed by the workers while the run is active, and released
// when it ends. The expiry only matters if every worker dies with the run unfinished.

export interface LockHolder {
  runId: string;
  requestedBy: string;
}

export const DEFAULT_LOCK_TTL_MS = 15 * 60_000;

const ACQUIRE = `
for i, key in ipairs(KEYS) do
  local cur = redis.call('GET', key)
  if cur then
    local holder = cjson.decode(cur)
    if holder.runId ~= ARGV[1] then return cur end
  end
end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, ARGV[2], 'PX', tonumber(ARGV[3]))
end
return false
`;

const RELEASE = `
local n = 0
for i, key in ipairs(KEYS) do
  local cur = redis.call('GET', key)
  if cur and cjson.decode(cur).runId == ARGV[1] then
    redis.call('DEL', key)
    n = n + 1
  end
end
return n
`;

export interface LockScope {
  runId: string;
  requestedBy: string;
  sites: string[];
  units: string[];
}

function lockKeys(keys: RunKeys, scope: LockScope): string[] {
  return [...scope.sites.map((s) => keys.siteLock(s)), ...scope.units.map((u) => keys.unitLock(u))];
}

/** Takes (or renews) the run's locks; throws RUN_LOCKED naming the holder when another run has one. */
export async function acquireRunLock(
  redis: Redis,
  keys: RunKeys,
  scope: LockScope,
  ttlMs = DEFAULT_LOCK_TTL_MS,
): Promise<void> {
  const k = lockKeys(keys, scope);
  const holder: LockHolder = { runId: scope.runId, requestedBy: scope.requestedBy };
  const res = (await runScript(redis, ACQUIRE, k, [scope.runId, JSON.stringify(holder), String(ttlMs)])) as
    | string
    | null;
  if (res === null) return;
  const other = JSON.parse(res) as LockHolder;
  throw new BasculeError(
    'RUN_LOCKED',
    `run ${other.runId}, requested by ${other.requestedBy}, is active on the same sites or units`,
    {
      hint: `Wait for run ${other.runId} to end (\`bascule status ${other.runId}\`), or ask ${other.requestedBy} about it.`,
      details: { runId: other.runId, requestedBy: other.requestedBy },
    },
  );
}

export async function releaseRunLock(redis: Redis, keys: RunKeys, scope: LockScope): Promise<number> {
  const k = lockKeys(keys, scope);
  return (await runScript(redis, RELEASE, k, [scope.runId])) as number;
}

/** The lock scope of a stored run: its two sites and every unit of its plan. */
export async function scopeOfRun(store: RunStore, runId: string): Promise<LockScope> {
  const run = await store.require(runId);
  const plan = await store.plan(runId);
  return {
    runId,
    requestedBy: run.requestedBy,
    sites: [run.from, run.to],
    units: plan.groups.flatMap((g) => g.units),
  };
}

/** The runs not yet ended, as preflight's concurrency rule wants them. */
export async function activeRuns(store: RunStore): Promise<ActiveRun[]> {
  const out: ActiveRun[] = [];
  for (const id of await store.activeIds()) {
    const run = await store.get(id);
    if (!run) continue;
    const scope = await scopeOfRun(store, id);
    out.push({ runId: id, sites: scope.sites, units: scope.units, requestedBy: run.requestedBy });
  }
  return out;
}
