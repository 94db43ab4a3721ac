import { describe, expect, it } from 'vitest';
import { runPreflight } from '../../src/domain/preflight/run-preflight.js';
import type { ActiveRun, Finding, MoveRequest, PreflightResult } from '../../src/domain/preflight/types.js';
import { InventoryBuilder } from '../support/inventory-builder.js';
import { buildTopology, cold, hot, preflightInput } from '../support/preflight-fixtures.js';

function world(): InventoryBuilder {
  return new InventoryBuilder()
    .site('site5', 2)
    .site('lognes', 2)
    .datastore('DS-A', { mountedOn: ['site5'] })
    .datastore('DS-L', { mountedOn: ['lognes'] })
    .datastore('LV-A', { mountedOn: ['site5', 'lognes'] })
    .vm('a1', { host: 'esx-site5-01', datastores: ['DS-A'] })
    .vm('l1', { host: 'esx-lognes-01', datastores: ['DS-L'] })
    .vm('lv1', { host: 'esx-site5-02', datastores: ['LV-A'] });
}

const topology = buildTopology({ protection: [cold('DS-A'), cold('DS-L', 'lognes'), hot('LV-A')] });

function run(
  request: Partial<MoveRequest> = {},
  extra: { activeRuns?: ActiveRun[]; now?: Date } = {},
): PreflightResult {
  return runPreflight(preflightInput({ inventory: world().build(), topology, request, ...extra }));
}

const find = (r: PreflightResult, code: Finding['code']) => r.findings.filter((f) => f.code === code);

describe('the request', () => {
  it('moves the units running at the source, of every method unless --mode says otherwise', () => {
    expect(run().plan.groups.map((g) => g.id)).toEqual(['DS-A', 'LV-A']);
    expect(run({ mode: 'hot' }).plan.groups.map((g) => g.id)).toEqual(['LV-A']);
    expect(run({ from: 'lognes', to: 'site5' }).plan.groups.map((g) => g.id)).toEqual(['DS-L']);
  });

  it('limits the move to --datastores, and blocks names it cannot move', () => {
    expect(run({ datastores: ['DS-A'] }).plan.groups.map((g) => g.id)).toEqual(['DS-A']);
    const r = run({ datastores: ['DS-A', 'NOPE', 'DS-L'], mode: 'cold' });
    expect(find(r, 'REQUEST_UNKNOWN_DATASTORE')).toMatchObject([
      { severity: 'block', objects: { datastores: ['NOPE'] } },
    ]);
    const [excluded] = find(r, 'REQUEST_UNIT_EXCLUDED');
    expect(excluded?.message).toBe(
      'DS-L (storwize, home lognes) is not among the cold units running at site5.',
    );
  });

  it('blocks an invalid direction and plans nothing', () => {
    const r = run({ from: 'site5', to: 'site5' });
    expect(find(r, 'REQUEST_INVALID')[0]?.message).toContain('from and to are both "site5"');
    expect(r.plan.groups).toEqual([]);
    expect(find(run({ to: 'paris' }), 'REQUEST_INVALID')[0]?.message).toContain('unknown site "paris"');
  });

  it('notes when there is nothing to move', () => {
    const r = run({ mode: 'zerto' });
    expect(find(r, 'NOTHING_TO_MOVE')).toMatchObject([{ severity: 'info' }]);
    expect(r.blocked).toBe(false);
  });

  it('warns about an old inventory snapshot', () => {
    const taken = Date.parse(world().build().takenAt);
    expect(find(run({}, { now: new Date(taken + 15 * 60_000) }), 'INVENTORY_STALE')).toEqual([]);
    expect(find(run({}, { now: new Date(taken + 15 * 60_000 + 1) }), 'INVENTORY_STALE')).toMatchObject([
      { severity: 'warn' },
    ]);
  });
});

describe('concurrency', () => {
  it('blocks while another run touches the sites, naming who runs it', () => {
    const r = run(
      {},
      { activeRuns: [{ runId: 'r-12', sites: ['lognes'], units: [], requestedBy: 'alice' }] },
    );
    const [f] = find(r, 'CONCURRENT_RUN');
    expect(f).toMatchObject({ severity: 'block', objects: { runs: ['r-12'] } });
    expect(f?.message).toBe('Run r-12, started by alice, is still active on site lognes.');
    expect(f?.fix).toContain('ask alice');
  });

  it('blocks a run sharing a unit, and ignores runs elsewhere', () => {
    const shared = run(
      {},
      { activeRuns: [{ runId: 'r-13', sites: [], units: ['LV-A'], requestedBy: 'bob' }] },
    );
    expect(find(shared, 'CONCURRENT_RUN')[0]?.objects.units).toEqual(['LV-A']);
    const elsewhere = run(
      {},
      { activeRuns: [{ runId: 'r-14', sites: ['paris'], units: ['DS-L'], requestedBy: 'carol' }] },
    );
    expect(find(elsewhere, 'CONCURRENT_RUN')).toEqual([]);
  });
});
