import { Redis } from 'ioredis';
import { startRunEngine } from '../../src/jobs/run/index.js';
import { createLogger } from '../../src/log.js';
import { FAST_TIMINGS } from './run-harness.js';
import { worldExecutors } from './world-executors.js';

// A worker process for crash tests: the run engine with the world executors (state in Redis, so it
// survives a SIGKILL), under the prefix the test gives in BASCULE_TEST_PREFIX.
// Run: node --import tsx test/support/run-worker-entry.ts

const prefix = process.env.BASCULE_TEST_PREFIX;
if (!prefix) throw new Error('BASCULE_TEST_PREFIX is required');
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const log = createLogger({ level: 'info', name: 'bascule-test-worker' });
const engine = startRunEngine({
  redis,
  prefix,
  executors: worldExecutors(redis, prefix),
  makeContext: async (base) => base,
  log,
  timings: FAST_TIMINGS,
});
log.info({ prefix }, 'engine started');
process.once('SIGTERM', () => {
  void engine.close().then(() => redis.quit().then(() => process.exit(0)));
});
