import type { Redis } from 'ioredis';

// Compare-and-set of one JSON document plus its side effects (stream entries, set membership), in
// one Lua script: the new state, its audit entries and its events are written together or not at
// all, and a writer that read an older version retries instead of overwriting a newer one.

export type SideEffect =
  | { op: 'xadd'; key: string; maxlen?: number; fields: string[] }
  | { op: 'sadd' | 'srem'; key: string; member: string }
  | { op: 'del'; key: string };

// The version sits in a key of its own next to the document (KEYS[2]), so that the check costs a
// GET, not a JSON decode of the whole run inside Redis on every checkpoint; a document written
// before that key existed is decoded once.
const SCRIPT = `
local cur = redis.call('GET', KEYS[2])
local expected = tonumber(ARGV[1])
if not cur then
  local doc = redis.call('GET', KEYS[1])
  if doc then cur = cjson.decode(doc).version end
end
if cur then
  if tonumber(cur) ~= expected then return 0 end
elseif expected ~= 0 then
  return 0
end
redis.call('SET', KEYS[2], expected + 1)
redis.call('SET', KEYS[1], ARGV[2])
local ops = cjson.decode(ARGV[3])
for _, o in ipairs(ops) do
  local key = KEYS[o.k]
  if o.op == 'xadd' then
    if o.maxlen then
      redis.call('XADD', key, 'MAXLEN', '~', o.maxlen, '*', unpack(o.fields))
    else
      redis.call('XADD', key, '*', unpack(o.fields))
    end
  elseif o.op == 'sadd' then
    redis.call('SADD', key, o.member)
  elseif o.op == 'srem' then
    redis.call('SREM', key, o.member)
  elseif o.op == 'del' then
    redis.call('DEL', key)
  end
end
return 1
`;

/** Writes `json` (whose `version` is expectedVersion + 1) if the stored version is still `expectedVersion`. */
export async function compareAndSet(
  redis: Redis,
  key: string,
  expectedVersion: number,
  json: string,
  effects: SideEffect[],
): Promise<boolean> {
  const keys = [key, `${key}:version`, ...effects.map((e) => e.key)];
  const ops = effects.map((e, i) => {
    const k = i + 3;
    if (e.op === 'xadd') return { op: e.op, k, fields: e.fields, ...(e.maxlen ? { maxlen: e.maxlen } : {}) };
    if (e.op === 'del') return { op: e.op, k };
    return { op: e.op, k, member: e.member };
  });
  const res = await redis.eval(
    SCRIPT,
    keys.length,
    ...keys,
    String(expectedVersion),
    json,
    JSON.stringify(ops),
  );
  return res === 1;
}
