import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { parseTopology } from '../../src/config/topology.js';
import { startRunEngine } from '../../src/jobs/run/index.js';
import { RunStore } from '../../src/jobs/run/run-store.js';
import { createStepServices } from '../../src/jobs/run/step-services.js';
import { stepExecutors } from '../../src/jobs/steps/index.js';
import type { StepContext, StepExecutors } from '../../src/jobs/steps/types.js';
import { createLogger } from '../../src/log.js';
import { FAST_TIMINGS } from './run-harness.js';

// A worker process for the lab fault tests: the run engine with the REAL step executors against a
// running lab (sites.yaml and lab.env given by the test), under the prefix in BASCULE_TEST_PREFIX,
// with the short engine timings of the crash tests so a SIGKILLed worker's jobs move on quickly.
// BASCULE_TEST_KILL_AT=<step kind>:before|after makes the worker SIGKILL itself at a step boundary:
// `before`, once the engine has recorded the step running and before the executor acts; `after`,
// once the executor has acted and returned, before the engine records the step done (the worst
// moment: the work is done and nothing says so).
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

function killingAt(spec: string | undefined, executors: StepExecutors): StepExecutors {
  if (!spec) return executors;
  const [kind, when] = spec.split(':');
  if (!(kind && kind in executors) || (when !== 'before' && when !== 'after')) {
    throw new Error(`BASCULE_TEST_KILL_AT=${spec}: expected <step kind>:before|after`);
  }
  const exec = executors[kind as keyof StepExecutors] as unknown as (
    s: unknown,
    c: StepContext,
  ) => Promise<unknown>;
  const die = (): never => {
    process.kill(process.pid, 'SIGKILL');
    throw new Error('unreachable: SIGKILLed');
  };
  const wrapped = async (step: unknown, ctx: StepContext) => {
    if (when === 'after') await exec(step, ctx);
    return die();
  };
  return { ...executors, [kind]: wrapped } as StepExecutors;
}

const services = createStepServices({ topology, env: labEnv, store: () => store, pollIntervalMs: 10 });
const engine = startRunEngine<StepContext>({
  redis,
  prefix,
  executors: killingAt(process.env.BASCULE_TEST_KILL_AT, stepExecutors),
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
