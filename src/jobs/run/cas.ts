import type { Redis } from 'ioredis';
import { runScript } from '../redis.js';

// Compare-and-set of a run's documents plus their side effects (stream entries, set membership),
// in one Lua script: the new state, its audit entries and its events are written together or not
// at all, and a writer that read an older version retries instead of overwriting a newer one.
//
// A run is stored as a small header document and one document per unit (a hash field each), each
// with its own version, because units checkpoint concurrently: a step of one unit rewrites that
// unit's few kilobytes, not the whole run, and does not collide with the other units' writes.
// A run-wide sequence counts every write; it is the run's `version`, stamped by the script on the
// events it appends so that their versions follow the order in which the writes landed.

export type SideEffect =
  | { op: 'xadd'; key: string; maxlen?: number; fields: string[]; stampVersion?: boolean }
  | { op: 'sadd' | 'srem'; key: string; member: string }
  | { op: 'del'; key: string };

export interface RunDocKeys {
  header: string;
  headerVersion: string;
  units: string;
  unitVersions: string;
  seq: string;
}

export interface RunWrite {
  /** Header version read before the change; null leaves the header unchecked and unwritten. */
  expectedHeaderVersion: number | null;
  header: string | null;
  /** Unit versions read before the change: every one must still hold. */
  expectedUnitVersions: Record<string, number>;
  /** Unit documents to write (a subset of the units checked). */
  units: Record<string, string>;
  effects: SideEffect[];
}

// KEYS: header, header version, units hash, unit versions hash, sequence, effect keys...
// ARGV: expected header version ('' = header untouched), header json, expected unit versions
// (flat unit, version pairs), count of unit documents, then unit, json pairs, then the ops json.
const SCRIPT = `
local checkHeader = ARGV[1] ~= ''
if checkHeader then
  local cur = tonumber(redis.call('GET', KEYS[2]) or '0')
  if cur ~= tonumber(ARGV[1]) then return 0 end
end
local nExpected = tonumber(ARGV[3])
local i = 4
for _ = 1, nExpected do
  local cur = tonumber(redis.call('HGET', KEYS[4], ARGV[i]) or '0')
  if cur ~= tonumber(ARGV[i + 1]) then return 0 end
  i = i + 2
end
if checkHeader then
  redis.call('INCR', KEYS[2])
  redis.call('SET', KEYS[1], ARGV[2])
end
local nDocs = tonumber(ARGV[i])
i = i + 1
for _ = 1, nDocs do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
  redis.call('HINCRBY', KEYS[4], ARGV[i], 1)
  i = i + 2
end
local seq = redis.call('INCR', KEYS[5])
local ops = cjson.decode(ARGV[i])
for _, o in ipairs(ops) do
  local key = KEYS[o.k]
  if o.op == 'xadd' then
    local fields = o.fields
    if o.v then
      table.insert(fields, 'version')
      table.insert(fields, tostring(seq))
    end
    if o.maxlen then
      redis.call('XADD', key, 'MAXLEN', '~', o.maxlen, '*', unpack(fields))
    else
      redis.call('XADD', key, '*', unpack(fields))
    end
  elseif o.op == 'sadd' then
    redis.call('SADD', key, o.member)
  elseif o.op == 'srem' then
    redis.call('SREM', key, o.member)
  elseif o.op == 'del' then
    redis.call('DEL', key)
  end
end
return seq
`;

/** Applies `write` if every version it read still holds; returns the run's new sequence, or null. */
export async function compareAndSet(redis: Redis, keys: RunDocKeys, write: RunWrite): Promise<number | null> {
  const effectKeys = write.effects.map((e) => e.key);
  const ops = write.effects.map((e, i) => {
    const k = i + 6;
    if (e.op === 'xadd') {
      return {
        op: e.op,
        k,
        fields: e.fields,
        ...(e.maxlen ? { maxlen: e.maxlen } : {}),
        ...(e.stampVersion ? { v: true } : {}),
      };
    }
    if (e.op === 'del') return { op: e.op, k };
    return { op: e.op, k, member: e.member };
  });
  const expected = Object.entries(write.expectedUnitVersions);
  const docs = Object.entries(write.units);
  const res = await runScript(
    redis,
    SCRIPT,
    [keys.header, keys.headerVersion, keys.units, keys.unitVersions, keys.seq, ...effectKeys],
    [
      write.expectedHeaderVersion === null ? '' : String(write.expectedHeaderVersion),
      write.header ?? '',
      String(expected.length),
      ...expected.flatMap(([u, v]) => [u, String(v)]),
      String(docs.length),
      ...docs.flat(),
      JSON.stringify(ops),
    ],
  );
  return typeof res === 'number' && res > 0 ? res : null;
}
