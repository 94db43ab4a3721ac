import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type DsmSim, startDsmSim } from '../../lab/dsm/index.js';
import { buildLabModel } from '../../lab/model.js';
import { createDellScAdapter, DsmError } from '../../src/adapters/dell-sc/index.js';
import type { ActionProgress, ReplicationAdapter } from '../../src/adapters/replication/types.js';
import type { DellDsmConfig } from '../../src/config/schema.js';
import type { ProtectedUnit } from '../../src/domain/replication.js';
import { makeTestCerts, type TestCerts } from '../support/test-certs.js';

// Waits for the stand-in to get somewhere, generous because two cores are shared; never a timing assertion.
const settle = { timeout: 10_000, interval: 10 };

const model = buildLabModel();
const lvDatastore = model.datastores.find((d) => d.method === 'live-volume' && d.site === 'site5');
if (!lvDatastore?.liveVolume) throw new Error('the small lab has a Live Volume on site5');
const unit: ProtectedUnit = {
  id: lvDatastore.name,
  method: 'live-volume',
  homeSite: 'site5',
  peerSite: 'lognes',
  datastores: [lvDatastore.name],
  array: 'dsm',
  ref: { kind: 'live-volume', name: lvDatastore.liveVolume },
};

let certs: TestCerts;
let sim: DsmSim;
const open: ReplicationAdapter[] = [];

function adapter(
  over: { ca?: string | null; apiVersion?: string; password?: string } = {},
): ReplicationAdapter {
  const config: DellDsmConfig = {
    name: 'dsm',
    type: 'dell-dsm',
    url: sim.url,
    userEnv: 'DSM_USER',
    passwordEnv: 'DSM_PASSWORD',
    apiVersion: over.apiVersion ?? '4.1',
    storageCenters: Object.fromEntries(sim.storageCenters.map((sc) => [sc.name, sc.site])),
  };
  const a = createDellScAdapter({
    config,
    user: 'bascule',
    password: over.password ?? 'lab-password',
    ...(over.ca === null ? {} : { ca: over.ca ?? certs.caPem }),
    pollIntervalMs: 5,
    swapStartGraceMs: 2_000,
  });
  open.push(a);
  return a;
}

function count(method: string, pathPart: string): number {
  return sim.control.requests.filter((r) => r.method === method && r.path.includes(pathPart)).length;
}

async function startSim(apiVersionRange?: [string, string]): Promise<void> {
  sim = await startDsmSim({
    model,
    tls: { certPem: certs.certPem, keyPem: certs.keyPem },
    user: 'bascule',
    password: 'lab-password',
    timeScale: 0.01,
    ...(apiVersionRange ? { apiVersionRange } : {}),
  });
}

beforeAll(async () => {
  certs = await makeTestCerts();
});

afterAll(async () => {
  await certs.cleanup();
});

beforeEach(async () => {
  await startSim();
});

afterEach(async () => {
  for (const a of open.splice(0)) await a.close();
  await sim.stop();
});

describe('Dell SC adapter against the DSM stand-in', () => {
  it('reads a healthy Live Volume as in sync with its primary on the home site', async () => {
    const st = await adapter().status(unit);
    expect(st).toMatchObject({ unitId: unit.id, primarySite: 'site5', health: 'in-sync', lagSeconds: null });
    expect(st.raw).toContain('sync Current');
  });

  it('refuses a Data Collector whose certificate is not signed by the configured CA', async () => {
    const wrongCa = adapter({ ca: certs.otherCaPem });
    await expect(wrongCa.status(unit)).rejects.toMatchObject({ code: 'DSM_TLS', retryable: false });
    const systemStore = adapter({ ca: null });
    await expect(systemStore.status(unit)).rejects.toMatchObject({ code: 'DSM_TLS' });
    expect(sim.control.requests).toHaveLength(0);
  });

  it('rejects a wrong password with a final DSM_AUTH error', async () => {
    const err = await adapter({ password: 'wrong' })
      .status(unit)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DsmError);
    expect(err).toMatchObject({ code: 'DSM_AUTH', retryable: false });
    expect((err as DsmError).hint).toMatch(/passwordEnv/);
  });

  it('negotiates down to the minimum version the Data Collector names and uses bare 2.0 filters', async () => {
    await sim.stop();
    await startSim(['2.0', '3.1']);
    const st = await adapter({ apiVersion: '4.1' }).status(unit);
    expect(st.health).toBe('in-sync');
    const logins = sim.control.requests.filter((r) => r.path === 'ApiConnection/Login');
    expect(logins.map((l) => [l.apiVersion, l.status])).toEqual([
      ['4.1', 400],
      ['2.0', 200],
    ]);
    const getList = sim.control.requests.find((r) => r.path === 'StorageCenter/ScLiveVolume/GetList');
    expect(getList).toMatchObject({ apiVersion: '2.0', status: 200 });
  });

  it('reuses the session cookie and logs in again once when the session expires', async () => {
    const a = adapter();
    await a.status(unit);
    await a.status(unit);
    expect(count('POST', 'ApiConnection/Login')).toBe(1);
    sim.control.expireSessions();
    const st = await a.status(unit);
    expect(st.health).toBe('in-sync');
    expect(count('POST', 'ApiConnection/Login')).toBe(2);
    expect(sim.control.requests.filter((r) => r.status === 401)).toHaveLength(1);
  });

  it('finds a Live Volume by its instanceId as well as by name, and reports an unknown name', async () => {
    const id = sim.control.liveVolume(unit.ref.name).instanceId as string;
    const byId = await adapter().status({ ...unit, ref: { kind: 'live-volume', name: id } });
    expect(byId.primarySite).toBe('site5');
    await expect(
      adapter().status({ ...unit, ref: { kind: 'live-volume', name: 'Live Volume of NOWHERE' } }),
    ).rejects.toMatchObject({ code: 'DSM_NOT_FOUND' });
  });

  it('switches over with an async SwapRoles and ends with the roles swapped and settled', async () => {
    const progress: ActionProgress[] = [];
    const st = await adapter().switchover(unit, 'lognes', { onProgress: (p) => progress.push(p) });
    expect(st).toMatchObject({ primarySite: 'lognes', health: 'in-sync' });
    const lv = sim.control.liveVolume(unit.ref.name);
    expect(lv).toMatchObject({
      primaryStorageCenter: { instanceName: 'SC-LOGNES' },
      secondaryStorageCenter: { instanceName: 'SC-SITE5' },
      swappingRoles: false,
      primarySwapRoleState: 'NotSwapping',
      secondarySwapRoleState: 'NotSwapping',
      syncStatus: 'Current',
    });
    const swap = sim.control.requests.find((r) => r.path.endsWith('/SwapRoles'));
    expect(swap).toMatchObject({ method: 'POST', status: 202, async: true });
    expect(count('GET', 'ApiConnection/AsyncTask/')).toBeGreaterThanOrEqual(1);
    expect(progress[0]?.message).toMatch(/swapping roles/);
  });

  it('is a no-op when the target site is already primary: the second switchover sends no action', async () => {
    const a = adapter();
    await a.switchover(unit, 'lognes');
    sim.control.clearRequests();
    const st = await a.switchover(unit, 'lognes');
    expect(st.primarySite).toBe('lognes');
    expect(count('POST', '/SwapRoles')).toBe(0);
    expect(sim.control.requests.every((r) => r.method === 'GET' || r.path.endsWith('/GetList'))).toBe(true);
  });

  it('waits while both Storage Centers report the swap in progress', async () => {
    sim.control.holdSwaps(true);
    const progress: ActionProgress[] = [];
    let finished = false;
    const run = adapter()
      .switchover(unit, 'lognes', { onProgress: (p) => progress.push(p) })
      .finally(() => {
        finished = true;
      });
    await vi.waitFor(() => {
      expect(progress.some((p) => p.message.includes('SwappingToSecondary/SwappingToPrimary'))).toBe(true);
    }, settle);
    expect(sim.control.liveVolume(unit.ref.name)).toMatchObject({ swappingRoles: true });
    expect(finished).toBe(false);
    sim.control.holdSwaps(false);
    await expect(run).resolves.toMatchObject({ primarySite: 'lognes' });
  });

  it('turns a failed SwapRoles task into DSM_TASK_FAILED and leaves the roles as they were', async () => {
    sim.control.failNextSwap('Swap roles failed: remote Storage Center timed out.');
    const err = await adapter()
      .switchover(unit, 'lognes')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DSM_TASK_FAILED', retryable: false });
    expect((err as Error).message).toContain('remote Storage Center timed out');
    expect(sim.control.liveVolume(unit.ref.name)).toMatchObject({
      primaryStorageCenter: { instanceName: 'SC-SITE5' },
    });
  });

  it('refuses to swap a Live Volume whose link is down, without sending SwapRoles', async () => {
    sim.control.linkDown(unit.ref.name);
    const a = adapter();
    const st = await a.status(unit);
    expect(st).toMatchObject({ health: 'disconnected', primarySite: 'site5' });
    await expect(a.switchover(unit, 'lognes')).rejects.toMatchObject({ code: 'DSM_WRONG_STATE' });
    expect(count('POST', '/SwapRoles')).toBe(0);
  });

  it('cancels a wait for a swap when the signal aborts', async () => {
    sim.control.holdSwaps(true);
    const ac = new AbortController();
    const run = adapter().switchover(unit, 'lognes', {
      signal: ac.signal,
      onProgress: (p) => {
        if (p.message.includes('SwappingTo')) ac.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'DSM_ABORTED' });
  });

  it('fails over by swapping roles while the source still answers', async () => {
    const st = await adapter().failover(unit, 'lognes');
    expect(st.primarySite).toBe('lognes');
    expect(count('POST', '/SwapRoles')).toBe(1);
  });

  it('refuses an unplanned failover it has no REST call for, and accepts one the tiebreaker did', async () => {
    const a = adapter();
    sim.control.linkDown(unit.ref.name);
    const err = await a.failover(unit, 'lognes').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DSM_FAILOVER_MANUAL', retryable: false });
    expect((err as DsmError).hint).toContain('SC-LOGNES');

    sim.control.activateSecondary(unit.ref.name);
    const st = await a.failover(unit, 'lognes');
    expect(st).toMatchObject({ primarySite: 'lognes', health: 'disconnected' });
    expect(st.raw).toContain('Activated');
    expect(count('POST', '/SwapRoles')).toBe(0);
  });

  it('resyncs: waits for the link, then follows the resync to Current with progress', async () => {
    sim.control.setDurations({ resyncPerGb: 1_000 });
    sim.control.linkDown(unit.ref.name);
    const progress: ActionProgress[] = [];
    let linkRestored = false;
    const st = await adapter().resync(unit, {
      onProgress: (p) => {
        progress.push(p);
        if (!linkRestored && p.message.includes('waiting for the replication link')) {
          linkRestored = true;
          sim.control.linkUp(unit.ref.name);
        }
      },
    });
    expect(st).toMatchObject({ health: 'in-sync', primarySite: 'site5' });
    expect(linkRestored).toBe(true);
    const copying = progress.filter((p) => p.status?.health === 'copying');
    expect(copying.length).toBeGreaterThan(0);
    expect(copying.every((p) => p.percent !== null && p.percent >= 0 && p.percent <= 100)).toBe(true);
  });

  it('after the tiebreaker activated the secondary and the primary came back, reports the new primary in sync', async () => {
    const a = adapter();
    sim.control.activateSecondary(unit.ref.name);
    sim.control.restorePrimary(unit.ref.name);
    const st = await a.resync(unit);
    expect(st).toMatchObject({ health: 'in-sync', primarySite: 'lognes' });
    // Moving back home is then an ordinary swap.
    await expect(a.switchover(unit, 'site5')).resolves.toMatchObject({ primarySite: 'site5' });
  });

  it('rejects a target site the unit does not replicate to', async () => {
    await expect(adapter().switchover(unit, 'elsewhere')).rejects.toMatchObject({ code: 'DSM_BAD_SITE' });
  });
});
