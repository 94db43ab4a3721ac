import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatherPreflight } from '../../src/jobs/preflight/gather.js';
import { activeRuns, RunControl } from '../../src/jobs/run/index.js';
import { spawnBascule } from '../support/spawn-bascule.js';
import { type StepHarness, startStepHarness } from '../support/step-harness.js';

// The Procfile worker after a real move: its step services hold a vCenter session, SSH
// connections to the arrays and HTTPS pools to DSM and Zerto. On SIGTERM it must release them and
// exit by itself (a process manager would otherwise kill it, or wait for ever).

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
let lab: StepHarness;
let redis: Redis;

beforeAll(async () => {
  lab = await startStepHarness();
  redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
});

afterAll(async () => {
  await redis?.quit();
  await lab?.stop();
});

describe('bascule worker after a move on the lab', () => {
  it('exits 0 on SIGTERM once it has run steps against vCenter and the arrays', async () => {
    const prefix = `bw-${randomBytes(4).toString('hex')}`;
    const control = new RunControl(redis, prefix);
    const worker = spawnBascule(['worker'], {
      ...lab.env,
      REDIS_URL: redisUrl,
      BASCULE_KEY_PREFIX: prefix,
      BASCULE_CONFIG: lab.lab.info.files.sitesYaml,
      LOG_LEVEL: 'info',
    });
    try {
      await worker.waitForLine((l) => l.msg === 'bascule worker started');
      const pre = await gatherPreflight(
        { topology: lab.topology, env: lab.env, activeRuns: () => activeRuns(control.store) },
        { kind: 'migrate', from: 'site5', to: 'lognes', datastores: ['LV-SITE5-01'], forceOff: true },
      );
      expect(pre.blocked).toBe(false);
      const run = await control.submit({ plan: pre.plan, requestedBy: 'alice' });
      await control.approve(run.id, 'bob');
      for (let i = 0; ; i++) {
        const r = await control.store.require(run.id);
        if (r.status === 'succeeded') break;
        if (['failed', 'cancelled'].includes(r.status) || i > 1200) {
          throw new Error(`run ended ${r.status}: ${JSON.stringify(r.error)}`);
        }
        await new Promise((res) => setTimeout(res, 50));
      }
      worker.child.kill('SIGTERM');
      // A liveness bound, not a speed one: a worker held open by a socket never exits at all.
      const { code } = await Promise.race([
        worker.exit,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('the worker was still running 60 s after SIGTERM')), 60_000),
        ),
      ]);
      expect(code).toBe(0);
      expect(worker.lines.some((l) => l.msg === 'bascule worker stopped')).toBe(true);
    } finally {
      worker.child.kill('SIGKILL');
      await control.close();
    }
  }, 120_000);
});
