import type { Redis } from 'ioredis';
import { runScript } from '../redis.js';

// Per-run semaphore for unit jobs: a hash of holder → "jobId|lease expiry (ms, Redis clock)". A unit
// takes a slot only if fewer than `max` are held, none of the units it must not run beside holds
// one, and no other job holds its own unit (a stale job from an earlier generation). Leases
// expire, so a slot held by a SIGKILLed worker frees itself; the recovered job (same job id)
// re-enters its own slot at once.

const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local all = redis.call('HGETALL', KEYS[1])
local held = 0
for i = 1, #all, 2 do
  local field, value = all[i], all[i + 1]
  local sep = string.find(value, '|', 1, true)
  local expiry = tonumber(string.sub(value, sep + 1))
  if expiry <= now then
    redis.call('HDEL', KEYS[1], field)
  elseif field == ARGV[1] then
    if string.sub(value, 1, sep - 1) ~= ARGV[2] then return 0 end
  else
    held = held + 1
  end
end
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then
  if held >= tonumber(ARGV[4]) then return 0 end
  for i = 5, #ARGV do
    if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then return 0 end
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. (now + tonumber(ARGV[3])))
redis.call('PEXPIRE', KEYS[1], 7 * 24 * 3600 * 1000)
return 1
`;

const RELEASE = `
local value = redis.call('HGET', KEYS[1], ARGV[1])
if value and string.sub(value, 1, string.len(ARGV[2]) + 1) == ARGV[2] .. '|' then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 1
end
return 0
`;

export interface SlotRequest {
  key: string;
  holder: string;
  jobId: string;
  leaseMs: number;
  max: number;
  conflicts: readonly string[];
}

/** Takes or renews the slot; false when it must wait. */
export async function tryAcquireSlot(redis: Redis, r: SlotRequest): Promise<boolean> {
  const res = await runScript(
    redis,
    ACQUIRE,
    [r.key],
    [r.holder, r.jobId, String(r.leaseMs), String(r.max), ...r.conflicts],
  );
  return res === 1;
}

export async function releaseSlot(redis: Redis, key: string, holder: string, jobId: string): Promise<void> {
  await runScript(redis, RELEASE, [key], [holder, jobId]);
  for (const wake of [...(waiters.get(key) ?? [])]) wake();
}

// Units of this process waiting for a slot, by slot key: a release here wakes them at once, so a
// worker running several units of a run hands a slot over without a poll interval in between.
// Releases by other workers (and expired leases) are seen at the waiter's next poll.
const waiters = new Map<string, Set<() => void>>();

/** Resolves after `ms`, when a slot of `key` is released in this process, or when the signal aborts. */
export function waitForRelease(key: string, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    let set = waiters.get(key);
    if (set === undefined) {
      set = new Set();
      waiters.set(key, set);
    }
    const own = set;
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      own.delete(done);
      if (own.size === 0 && waiters.get(key) === own) waiters.delete(key);
      resolve();
    }
    own.add(done);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Current holders (expired leases included until the next acquire sweeps them). */
export async function slotHolders(redis: Redis, key: string): Promise<string[]> {
  return (await redis.hkeys(key)).sort();
}

const HELD_BY_OTHER = `
local value = redis.call('HGET', KEYS[1], ARGV[1])
if not value then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local sep = string.find(value, '|', 1, true)
if tonumber(string.sub(value, sep + 1)) <= now then return 0 end
if string.sub(value, 1, sep - 1) == ARGV[2] then return 0 end
return 1
`;

/** True while another job (e.g. of an earlier generation) holds the holder's slot. */
export async function heldByOther(
  redis: Redis,
  key: string,
  holder: string,
  jobId: string,
): Promise<boolean> {
  return (await runScript(redis, HELD_BY_OTHER, [key], [holder, jobId])) === 1;
}
