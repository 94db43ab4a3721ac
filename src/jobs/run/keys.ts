import { KEY_PREFIX } from '../redis.js';

// Every Redis key of the run engine, under one prefix (tests use a random one per test).

export const RUN_QUEUE = 'bascule-run';
export const UNIT_QUEUE = 'bascule-unit';

export interface RunKeys {
  prefix: string;
  run(id: string): string;
  runVersion(id: string): string;
  runUnits(id: string): string;
  runUnitVersions(id: string): string;
  runSeq(id: string): string;
  plan(id: string): string;
  active(): string;
  allRuns(): string;
  audit(): string;
  runAudit(id: string): string;
  events(id: string): string;
  eventsAll(): string;
  siteLock(site: string): string;
  unitLock(unit: string): string;
  slots(runId: string): string;
  resyncMutex(runId: string): string;
  report(id: string): string;
}

export function runKeys(prefix: string = KEY_PREFIX): RunKeys {
  const k = (...parts: string[]) => [prefix, ...parts].join(':');
  return {
    prefix,
    run: (id) => k('run', id),
    runVersion: (id) => k('run', id, 'version'),
    runUnits: (id) => k('run', id, 'units'),
    runUnitVersions: (id) => k('run', id, 'unit-versions'),
    runSeq: (id) => k('run', id, 'seq'),
    plan: (id) => k('run', id, 'plan'),
    active: () => k('runs', 'active'),
    allRuns: () => k('runs', 'all'),
    audit: () => k('audit'),
    runAudit: (id) => k('audit', id),
    events: (id) => k('events', id),
    eventsAll: () => k('events'),
    siteLock: (site) => k('lock', 'site', site),
    unitLock: (unit) => k('lock', 'unit', unit),
    slots: (runId) => k('run', runId, 'slots'),
    resyncMutex: (runId) => k('run', runId, 'resync'),
    report: (id) => k('run', id, 'report'),
  };
}
