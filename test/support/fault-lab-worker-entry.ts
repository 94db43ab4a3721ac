import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { parseTopology } from '../../src/config/topology.js';
import { startRunEngine } from '../../src/jobs/run/index.js';
import { RunStore } from '../../src/jobs/run/run-store.js';
import { createStepServices } from '../../src/jobs/run/step-services.js';
import { stepExecutors } from '../../src/jobs/steps/index.js';
import type { StepContext } from '../../src/jobs/steps/types.js';
import { createLogger } from '../../src/log.js';
import { FAST_TIMINGS } from './run-harness.js';

// A worker process for the lab fault tests: the run engine with the REAL step executors against a
// running lab (sites.yaml and lab.env given by the test), under the prefix in BASCULE_TEST_PREFIX,
// with the short engine timings of the crash tests so a SIGKILLed worker's jobs move on quickly.
// Run: node --import tsx test/support/fault-lab-worker-entry.ts

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
}

const prefix = required('BASCULE_TEST_PREFIX');
const sitesYaml = required('BASCULE_LAB_SITES');
const labEnv: Record<string, string> = {};
for (const line of readFileSync(required('BASCULE_LAB_ENV'), 'utf8').split('\n')) {
  const eq = line.indexOf('=');
  if (eq > 0) labEnv[line.slice(0, eq)] = line.slice(eq + 1);
}
const topology = parseTopology(readFileSync(sitesYaml, 'utf8'), sitesYaml);
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const log = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'warn', name: 'bascule-fault-worker' });
// Redis may be restarted under the worker (fault test): ioredis reconnects; say so, quietly.
redis.on('error', (err) => log.debug({ err: err.message }, 'redis connection error'));
const store = new RunStore(redis, prefix);
const services = createStepServices({ topology, env: labEnv, store: () => store, pollIntervalMs: 10 });
const engine = startRunEngine<StepContext>({
  redis,
  prefix,
  executors: stepExecutors,
  makeContext: (base) => services.makeContext(base),
  replan: (run, approved) => services.replan(run, approved),
  log,
  timings: FAST_TIMINGS,
});
log.info({ prefix }, 'engine started');
process.once('SIGTERM', () => {
  void engine
    .close()
    .then(() => services.close())
    .then(() => redis.quit())
    .finally(() => process.exit(0));
});
