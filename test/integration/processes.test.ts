import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { exampleSecrets } from '../support/example-secrets.js';
import { spawnBascule } from '../support/spawn-bascule.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('bascule worker process', () => {
  const redis = new Redis(redisUrl);
  afterAll(async () => {
    await redis.quit();
  });

  it('starts against Redis, logs one structured line, registers, and stops cleanly on SIGTERM', async () => {
    const p = spawnBascule(['worker'], {
      ...exampleSecrets,
      REDIS_URL: redisUrl,
      BASCULE_CONFIG: 'config/sites.example.yaml',
      LOG_LEVEL: 'info',
    });
    const started = await p.waitForLine((l) => l.msg === 'bascule worker started');
    expect(started.level).toBe(30);
    expect(typeof started.workerId).toBe('string');
    const heartbeatKey = `bascule:workers:${String(started.workerId)}`;
    expect(await redis.exists(heartbeatKey)).toBe(1);
    expect(p.lines.filter((l) => l.level !== undefined && l.level >= 40)).toEqual([]);

    p.child.kill('SIGTERM');
    const { code } = await p.exit;
    expect(code).toBe(0);
    expect(p.lines.some((l) => l.msg === 'bascule worker stopped')).toBe(true);
    expect(await redis.exists(heartbeatKey)).toBe(0);
  });

  it('fails fast, naming the missing secret variables, without printing their values', async () => {
    const p = spawnBascule(['worker'], {
      REDIS_URL: redisUrl,
      BASCULE_CONFIG: 'config/sites.example.yaml',
      VCENTER_PASSWORD: 'super-secret-value',
    });
    const { code } = await p.exit;
    expect(code).toBe(1);
    expect(p.stderr()).toMatch(/VCENTER_USER is not set/);
    expect(p.stderr()).not.toMatch(/super-secret-value/);
  });

  it('fails fast when Redis does not answer', async () => {
    const p = spawnBascule(['worker'], {
      ...exampleSecrets,
      REDIS_URL: 'redis://127.0.0.1:1',
      BASCULE_CONFIG: 'config/sites.example.yaml',
    });
    const { code } = await p.exit;
    expect(code).toBe(1);
    expect(p.stderr()).toMatch(/REDIS_UNREACHABLE.*Start Redis/s);
  });
});
