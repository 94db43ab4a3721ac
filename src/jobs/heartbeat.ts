import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { KEY_PREFIX } from './redis.js';

// Each worker announces itself in Redis with a short TTL, renewed while it lives. The bot and the
// CLI read these keys to say "no worker is running" before queueing a run nobody would execute.

const TTL_SECONDS = 30;
const key = (id: string) => `${KEY_PREFIX}:workers:${id}`;

export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  startedAt: string;
  queues: string[];
}

export function startHeartbeat(
  redis: Redis,
  info: Omit<WorkerInfo, 'host' | 'pid' | 'startedAt'>,
): {
  info: WorkerInfo;
  stop(): Promise<void>;
} {
  const full: WorkerInfo = {
    ...info,
    host: hostname(),
    pid: process.pid,
    startedAt: new Date().toISOString(),
  };
  const beat = () => redis.set(key(full.id), JSON.stringify(full), 'EX', TTL_SECONDS);
  void beat().catch(() => undefined);
  // A missed beat while Redis restarts is harmless: the next one re-creates the key.
  const timer = setInterval(() => void beat().catch(() => undefined), (TTL_SECONDS * 1000) / 3);
  timer.unref();
  return {
    info: full,
    async stop() {
      clearInterval(timer);
      await redis.del(key(full.id));
    },
  };
}

export async function liveWorkers(redis: Redis): Promise<WorkerInfo[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', key('*'), 'COUNT', 100);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  if (keys.length === 0) return [];
  const values = await redis.mget(...keys);
  return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as WorkerInfo);
}
