import { createHash } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { BasculeError } from '../domain/errors.js';

// BullMQ needs `maxRetriesPerRequest: null` on connections that block (workers); plain commands use
// the same so that a Redis restart during a maintenance night stalls Bascule instead of failing
// the run: steps are checkpointed, and the worker resumes when Redis answers again.

export const KEY_PREFIX = 'bascule';

export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    lazyConnect: true,
    ...options,
  });
}

/** Connects and checks the server answers, so start-up fails fast with a useful message. */
export async function connectRedis(url: string, options: RedisOptions = {}): Promise<Redis> {
  const redis = createRedis(url, { ...options, retryStrategy: (n) => (n > 3 ? null : 200 * n) });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw new BasculeError('REDIS_UNREACHABLE', `cannot reach Redis at ${redactUrl(url)}: ${String(err)}`, {
      hint: 'Start Redis (with AOF and maxmemory-policy noeviction) or set REDIS_URL, then start again.',
      retryable: true,
      cause: err,
    });
  }
  // After start-up, keep reconnecting forever: a worker must ride out a Redis restart.
  redis.options.retryStrategy = (n) => Math.min(n * 200, 5_000);
  return redis;
}

/**
 * ioredis options for a URL, for BullMQ: given options (not a client), BullMQ opens its own
 * connection and closes it with the Worker, so a stopping worker never leaks a socket.
 */
export function redisOptions(url: string): RedisOptions {
  const u = new URL(url);
  const db = u.pathname.replace(/^\//, '');
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}

/** Redis URLs may carry a password; logs and messages only ever show host and port. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    if (u.username) u.username = '***';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}

const scriptShas = new Map<string, string>();

/**
 * Runs a Lua script by its SHA1 (EVALSHA), sending its text only when this server has not seen it
 * (a restarted Redis forgets its scripts). The run engine's checkpoints are scripts: sending a
 * kilobyte of Lua with every one would cost more than the data they write.
 */
export async function runScript(
  redis: Redis,
  script: string,
  keys: string[],
  args: string[],
): Promise<unknown> {
  let sha = scriptShas.get(script);
  if (sha === undefined) {
    sha = createHash('sha1').update(script).digest('hex');
    scriptShas.set(script, sha);
  }
  try {
    return await redis.evalsha(sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return redis.eval(script, keys.length, ...keys, ...args);
  }
}
