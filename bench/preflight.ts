import { buildLabModel } from '../lab/model.js';
import { protectedUnits } from '../src/config/topology.js';
import type { Inventory } from '../src/domain/inventory.js';
import { runPreflight } from '../src/domain/preflight/run-preflight.js';
import { labTopology, replicationOf } from '../test/support/preflight-fixtures.js';
import { withVcenter } from './support/large-vcenter.js';
import { collectGarbage, median, row, spread } from './support/stats.js';

// Preflight benchmark: the rules and the planner on the large lab (5,000 VMs, 200 datastores),
// as a share of the time to read that inventory from vCenter, both measured in the same run.
// The inventory is the real one, read by Bascule's vim25 client from the lab's vCenter, so the
// rules see what they see in production. Target: under 5 % of the inventory time.

/** Idle time between the inventory read and the preflight (see the loop). */
const SETTLE_MS = 100;

export interface PreflightBenchResult {
  vms: number;
  inventoryMs: number;
  preflightMs: number;
  share: number;
}

export async function benchPreflight(
  o: { iterations?: number; log?: (l: string) => void } = {},
): Promise<PreflightBenchResult> {
  const log = o.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const iterations = o.iterations ?? 5;
  const model = buildLabModel({ size: 'large' });
  return withVcenter(model, 'preflight', log, async (client) => {
    const topology = labTopology(model);
    const units = protectedUnits(topology);
    const replication = replicationOf(units);
    const readInventory = async (): Promise<{ ms: number; inv: Inventory }> => {
      const start = performance.now();
      const inv = await client.inventory({ maxObjects: 1_000 });
      // The megabytes of XML the read leaves behind are the inventory's garbage: collected here,
      // inside its time, rather than by a pause that would land in the preflight measured next.
      collectGarbage();
      return { ms: performance.now() - start, inv };
    };
    const preflightOnce = (inv: Inventory): { ms: number; blocked: boolean; steps: number } => {
      const start = performance.now();
      const result = runPreflight({
        inventory: inv,
        topology,
        units,
        replication,
        request: { kind: 'migrate', from: 'site5', to: 'lognes', forceOff: true },
        activeRuns: [],
        now: new Date(Date.parse(inv.takenAt) + 1_000),
      });
      const steps = result.plan.groups.reduce((n, g) => n + g.steps.length, 0);
      return { ms: performance.now() - start, blocked: result.blocked, steps };
    };

    // Warm-up: JIT for both paths, TLS sessions, the simulator's caches.
    let { inv } = await readInventory();
    for (let i = 0; i < 3; i++) preflightOnce(inv);
    const inventoryTimes: number[] = [];
    const preflightTimes: number[] = [];
    let last = { blocked: false, steps: 0 };
    for (let i = 0; i < iterations; i++) {
      const r = await readInventory();
      inventoryTimes.push(r.ms);
      inv = r.inv;
      // gc() marks at once but V8 sweeps the freed pages on background threads afterwards (and on
      // the main thread when it allocates): without a pause, ~20 ms of the inventory's collection
      // lands in the preflight timed next, on a 2-core machine. The pause is counted in neither.
      await new Promise((done) => setTimeout(done, SETTLE_MS));
      const p = preflightOnce(inv);
      preflightTimes.push(p.ms);
      last = p;
    }
    const result: PreflightBenchResult = {
      vms: inv.vms.length,
      inventoryMs: median(inventoryTimes),
      preflightMs: median(preflightTimes),
      share: median(preflightTimes) / median(inventoryTimes),
    };
    const fmt = (xs: number[]) => spread(xs, 1);
    log(row(['measure', 'median ms', 'min ms', 'max ms'], 36));
    log(row([`inventory (${result.vms} VMs, vim25 over HTTPS)`, ...fmt(inventoryTimes)], 36));
    log(row([`preflight rules + plan (${last.steps} steps)`, ...fmt(preflightTimes)], 36));
    log(`preflight blocked: ${last.blocked} (the large lab is overcommitted on purpose)`);
    log(`RESULT preflight share_of_inventory=${result.share.toFixed(4)} vms=${result.vms}`);
    return result;
  });
}

/** `npm run bench -- preflight [iterations]` */
export async function main(args: string[] = []): Promise<number> {
  const n = args[0] === undefined ? undefined : Number(args[0]);
  const result = await benchPreflight(
    n !== undefined && Number.isInteger(n) && n > 0 ? { iterations: n } : {},
  );
  return result.share < 0.05 ? 0 : 1;
}
