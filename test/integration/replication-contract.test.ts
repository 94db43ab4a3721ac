import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Lab, startLab } from '../../lab/index.js';
import {
  buildReplicationAdapters,
  type ReplicationAdapters,
} from '../../src/adapters/replication/registry.js';
import type { ActionProgress } from '../../src/adapters/replication/types.js';
import { loadTopology } from '../../src/config/load.js';
import { protectedUnits } from '../../src/config/topology.js';
import { BasculeError } from '../../src/domain/errors.js';
import type { ProtectedUnit, ReplicationMethod } from '../../src/domain/replication.js';

// One contract for the three replication adapters, run against the lab's stand-ins through the
// same registry the worker uses: whatever the system, a planned switchover is idempotent, reads
// back what it did, reports progress, and a unit the system does not know is a typed,
// non-retryable error.

let lab: Lab;
let dir: string;
let adapters: ReplicationAdapters;
let units: ProtectedUnit[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bascule-contract-'));
  lab = await startLab({ size: 'small', dir, timeScale: 0.01, detached: false });
  const env = parseEnv(await readFile(lab.info.files.env, 'utf8'));
  const topology = loadTopology(lab.info.files.sitesYaml);
  units = protectedUnits(topology);
  adapters = buildReplicationAdapters(topology, env, { pollIntervalMs: 50 });
});

afterAll(async () => {
  await adapters?.close();
  await lab?.stop();
  await rm(dir, { recursive: true, force: true });
});

const methods: ReplicationMethod[] = ['storwize', 'live-volume', 'zerto'];

describe.each(methods)('replication contract: %s', (method) => {
  const unit = () => {
    // A lognes-homed unit: its move does not disturb site5, where the small lab's VMs of interest live.
    const u = units.find((x) => x.method === method && x.homeSite === 'lognes');
    if (!u) throw new Error(`the lab has no ${method} unit homed on lognes`);
    return u;
  };

  it('reports a healthy unit, primary on its home site, with the raw state', async () => {
    const u = unit();
    const status = await adapters.forUnit(u).status(u);
    expect(status.unitId).toBe(u.id);
    expect(status.primarySite).toBe(u.homeSite);
    expect(status.health).toBe('in-sync');
    expect(status.raw.length).toBeGreaterThan(0);
  });

  it('switches over toward the peer site, reporting progress, and reads the result back', async () => {
    const u = unit();
    const progress: ActionProgress[] = [];
    const after = await adapters
      .forUnit(u)
      .switchover(u, u.peerSite, { onProgress: (p) => progress.push(p) });
    expect(after.primarySite).toBe(u.peerSite);
    expect(progress.length).toBeGreaterThan(0);
    const read = await adapters.forUnit(u).status(u);
    expect(read.primarySite).toBe(u.peerSite);
  });

  it('treats a switchover toward the site already primary as a no-op', async () => {
    const u = unit();
    // After the move above, replication back may still be catching up (Zerto's delta sync): wait
    // until it is in sync, so that the no-op is seen to leave it so.
    let before = await adapters.forUnit(u).status(u);
    for (let i = 0; i < 200 && before.health !== 'in-sync'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      before = await adapters.forUnit(u).status(u);
    }
    expect(before.health).toBe('in-sync');
    const again = await adapters.forUnit(u).switchover(u, u.peerSite);
    expect(again.primarySite).toBe(before.primarySite);
    expect(again.health).toBe(before.health);
  });

  it('resyncs after the move (failback order), then switches back home, protected', async () => {
    const u = unit();
    // Reverse protection may still be copying right after the move (Zerto's delta sync): a
    // failback waits for the resync before moving back, and so does this contract.
    const synced = await adapters.forUnit(u).resync(u, { timeoutMs: 60_000 });
    expect(synced.primarySite).toBe(u.peerSite);
    expect(synced.health).toBe('in-sync');
    const back = await adapters.forUnit(u).switchover(u, u.homeSite);
    expect(back.primarySite).toBe(u.homeSite);
    const home = await adapters.forUnit(u).resync(u, { timeoutMs: 60_000 });
    expect(home.primarySite).toBe(u.homeSite);
    expect(home.health).toBe('in-sync');
  });

  it('refuses a unit the system does not know with a typed, non-retryable error', async () => {
    const u = unit();
    const ghost: ProtectedUnit = { ...u, id: 'GHOST', ref: { ...u.ref, name: `${u.ref.name}-ghost` } };
    const err = await adapters
      .forUnit(ghost)
      .status(ghost)
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(BasculeError);
    expect((err as BasculeError).code).toMatch(/NOT_FOUND/);
    expect((err as BasculeError).retryable).toBe(false);
    expect((err as BasculeError).hint).toBeTruthy();
  });
});
