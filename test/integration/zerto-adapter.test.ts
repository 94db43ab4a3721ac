import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildLabModel } from '../../lab/model.js';
import { startZertoSim, type ZertoSim } from '../../lab/zerto/index.js';
import type { ActionProgress, ZertoReplicationAdapter } from '../../src/adapters/replication/types.js';
import { createZertoAdapter, type ZertoCredentials, ZertoError } from '../../src/adapters/zerto/index.js';
import type { ZertoConfig } from '../../src/config/schema.js';
import type { ProtectedUnit } from '../../src/domain/replication.js';
import { makeTestCerts, type TestCerts } from '../support/test-certs.js';

const model = buildLabModel();
const labVpg = model.vpgs.find((v) => v.site === 'site5');
if (!labVpg || labVpg.vms.length === 0) throw new Error('the small lab has a VPG with VMs on site5');
const unit: ProtectedUnit = {
  id: labVpg.name,
  method: 'zerto',
  homeSite: 'site5',
  peerSite: 'lognes',
  datastores: [],
  array: 'zvm-lognes',
  ref: { kind: 'vpg', name: labVpg.name },
};

let certs: TestCerts;
let sim: ZertoSim;
const open: ZertoReplicationAdapter[] = [];

// vcsim's control API as the Zerto stand-in sees it: an HTTPS endpoint with the lab CA that records
// what it was asked to do. (The lab's own tests run the stand-in against the real vcsim.)
let vcsimServer: Server;
let vcsimUrl: string;
const vcsimSeen: Array<{
  path: string;
  body: { vm: string; host?: string; datastore?: string; powerOn?: boolean; on?: boolean };
}> = [];

function adapter(
  over: {
    auth?: 'session' | 'keycloak';
    credentials?: ZertoCredentials;
    ca?: string;
    now?: () => number;
  } = {},
): ZertoReplicationAdapter {
  const config: ZertoConfig = {
    name: 'zvm-lognes',
    type: 'zerto',
    site: 'lognes',
    url: sim.url,
    auth: over.auth ?? 'session',
  };
  const a = createZertoAdapter({
    config,
    credentials: over.credentials ?? { user: 'bascule', password: 'lab-password' },
    ca: over.ca ?? certs.caPem,
    pollIntervalMs: 5,
    ...(over.now ? { now: over.now } : {}),
  });
  open.push(a);
  return a;
}

function posts(pathEnd: string) {
  return sim.control.requests.filter(
    (r) => r.method === 'POST' && r.path.toLowerCase().endsWith(pathEnd.toLowerCase()),
  );
}

beforeAll(async () => {
  certs = await makeTestCerts();
  vcsimServer = createServer({ cert: certs.certPem, key: certs.keyPem }, (req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => {
      text += c.toString('utf8');
    });
    req.on('end', () => {
      vcsimSeen.push({ path: req.url ?? '', body: JSON.parse(text) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => vcsimServer.listen(0, '127.0.0.1', resolve));
  vcsimUrl = `https://127.0.0.1:${(vcsimServer.address() as AddressInfo).port}/lab`;
});

afterAll(async () => {
  await new Promise<void>((resolve, reject) => vcsimServer.close((err) => (err ? reject(err) : resolve())));
  await certs.cleanup();
});

beforeEach(async () => {
  vcsimSeen.length = 0;
  sim = await startZertoSim({
    model,
    tls: { certPem: certs.certPem, keyPem: certs.keyPem },
    vcsim: { controlUrl: vcsimUrl, caPem: certs.caPem },
    user: 'bascule',
    password: 'lab-password',
    clientId: 'bascule-automation',
    clientSecret: 'lab-client-secret',
    site: 'lognes',
    timeScale: 0.01,
  });
});

afterEach(async () => {
  for (const a of open.splice(0)) await a.close();
  await sim.stop();
});

describe('Zerto adapter: authentication and transport', () => {
  it('logs in with a v1 session and maps the VPG to sites, RPO and raw enum names', async () => {
    const st = await adapter().status(unit);
    expect(st).toMatchObject({
      unitId: unit.id,
      primarySite: 'site5',
      health: 'in-sync',
      progressPercent: null,
    });
    expect(st.lagSeconds).toBeGreaterThan(0);
    expect(st.raw).toMatch(/^MeetingSLA\/None, RPO \d+s$/);
    expect(posts('/v1/session/add')).toHaveLength(1);
    expect(
      sim.control.requests.filter((r) => r.path.startsWith('/v1/vpgs')).every((r) => r.auth === 'session'),
    ).toBe(true);
  });

  it('refuses a ZVM whose certificate is not signed by the configured CA', async () => {
    await expect(adapter({ ca: certs.otherCaPem }).status(unit)).rejects.toMatchObject({
      code: 'ZERTO_TLS',
      retryable: false,
    });
    expect(sim.control.requests).toHaveLength(0);
  });

  it('rejects wrong credentials with a final ZERTO_AUTH error in both modes', async () => {
    const bad = { user: 'bascule', password: 'nope' };
    await expect(adapter({ credentials: bad }).status(unit)).rejects.toMatchObject({
      code: 'ZERTO_AUTH',
      retryable: false,
    });
    await expect(
      adapter({
        auth: 'keycloak',
        credentials: { clientId: 'bascule-automation', clientSecret: 'nope' },
      }).status(unit),
    ).rejects.toMatchObject({ code: 'ZERTO_AUTH', retryable: false });
  });

  it('logs in again once when the session has expired', async () => {
    const a = adapter();
    await a.status(unit);
    sim.control.expireTokens();
    await expect(a.status(unit)).resolves.toMatchObject({ health: 'in-sync' });
    expect(posts('/v1/session/add')).toHaveLength(2);
    expect(sim.control.requests.filter((r) => r.status === 401)).toHaveLength(1);
  });

  it('uses Keycloak client_credentials with scope=openid and a Bearer token', async () => {
    const a = adapter({
      auth: 'keycloak',
      credentials: { clientId: 'bascule-automation', clientSecret: 'lab-client-secret' },
    });
    await expect(a.status(unit)).resolves.toMatchObject({ primarySite: 'site5' });
    const tokens = posts('/openid-connect/token');
    expect(tokens).toHaveLength(1);
    expect(tokens[0]).toMatchObject({
      grantType: 'client_credentials',
      scope: 'openid',
      clientId: 'bascule-automation',
    });
    expect(
      sim.control.requests.filter((r) => r.path.startsWith('/v1/')).every((r) => r.auth === 'bearer'),
    ).toBe(true);
  });

  it('refreshes a Keycloak token before it expires, without ever being refused', async () => {
    let clock = 1_000_000;
    const a = adapter({
      auth: 'keycloak',
      credentials: { user: 'bascule', password: 'lab-password' },
      now: () => clock,
    });
    await a.status(unit);
    clock += 20_000;
    await a.status(unit);
    expect(posts('/openid-connect/token')).toHaveLength(1);
    // expires_in is 60 s: past 30 s the adapter renews first, with the refresh token.
    clock += 15_000;
    await a.status(unit);
    const tokens = posts('/openid-connect/token');
    expect(tokens.map((t) => [t.grantType, t.clientId])).toEqual([
      ['password', 'zerto-client'],
      ['refresh_token', 'zerto-client'],
    ]);
    expect(sim.control.requests.filter((r) => r.status === 401)).toHaveLength(0);
  });

  it('re-authenticates transparently when the server drops its tokens', async () => {
    const a = adapter({
      auth: 'keycloak',
      credentials: { clientId: 'bascule-automation', clientSecret: 'lab-client-secret' },
    });
    await a.status(unit);
    sim.control.expireTokens();
    await expect(a.status(unit)).resolves.toMatchObject({ health: 'in-sync' });
    expect(posts('/openid-connect/token')).toHaveLength(2);
    expect(sim.control.requests.filter((r) => r.status === 401)).toHaveLength(1);
  });

  it('reports an unknown VPG name', async () => {
    await expect(
      adapter().status({ ...unit, ref: { kind: 'vpg', name: 'VPG-NOWHERE' } }),
    ).rejects.toMatchObject({
      code: 'ZERTO_NOT_FOUND',
    });
  });
});

describe('Zerto adapter: moves', () => {
  it('switches over: move with commit policy None, commit at WaitingForUserInput, VMs recovered on the other site', async () => {
    const progress: ActionProgress[] = [];
    const st = await adapter().switchover(unit, 'lognes', { onProgress: (p) => progress.push(p) });
    expect(st.primarySite).toBe('lognes');
    expect(sim.control.vpg(labVpg.name)).toMatchObject({ protectedSite: 'lognes', recoverySite: 'site5' });
    expect(posts('/move')[0]?.body).toEqual({
      commitPolicy: 'None',
      forceShutdown: false,
      reverseProtection: true,
      keepSourceVms: false,
    });
    expect(posts('/MoveCommit')).toHaveLength(1);
    // The source VMs are powered off before Zerto brings them up on the recovery site.
    const vms = labVpg.vms;
    expect(vcsimSeen.slice(0, vms.length)).toEqual(
      vms.map((vm) => ({ path: '/lab/vm/power', body: { vm, on: false } })),
    );
    const relocations = vcsimSeen.slice(vms.length);
    expect(relocations.map((c) => c.body.vm)).toEqual(vms);
    for (const c of relocations) {
      expect(c.path).toBe('/lab/vm/relocate');
      expect(c.body).toMatchObject({ datastore: 'ZERTO-RECOVERY-LOGNES', powerOn: true });
      expect(model.hosts.find((h) => h.name === c.body.host)?.site).toBe('lognes');
    }
    expect(progress.some((p) => p.message.includes('committing'))).toBe(true);
  });

  it('is a no-op when the VPG is already protected from the target site: no action is sent', async () => {
    const a = adapter();
    await a.switchover(unit, 'lognes');
    sim.control.clearRequests();
    await expect(a.switchover(unit, 'lognes')).resolves.toMatchObject({ primarySite: 'lognes' });
    expect(sim.control.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
  });

  it('follows reverse protection to Meeting SLA with resync', async () => {
    const a = adapter();
    const moved = await a.switchover(unit, 'lognes');
    expect(moved.health).not.toBe('disconnected');
    const st = await a.resync(unit);
    expect(st).toMatchObject({ primarySite: 'lognes', health: 'in-sync' });
    await expect(a.switchover(unit, 'site5')).resolves.toMatchObject({ primarySite: 'site5' });
  });

  it('moves, waits for the commit, and rolls back: the VMs return to their hosts', async () => {
    const a = adapter();
    const before = sim.control.vmPlacement(labVpg.name);
    const moved = await a.move(unit, 'lognes');
    expect(moved).toMatchObject({ primarySite: 'lognes' });
    expect(moved.raw).toContain('Moving/MovingBeforeCommit');
    expect(sim.control.vmPlacement(labVpg.name).every((p) => p.site === 'lognes' && p.powerOn)).toBe(true);

    // Asked again while waiting for the commit: nothing new is started.
    await a.move(unit, 'lognes');
    expect(posts('/move')).toHaveLength(1);

    const back = await a.rollback(unit);
    expect(back.primarySite).toBe('site5');
    expect(posts('/moveRollBack')).toHaveLength(1);
    expect(sim.control.vpg(labVpg.name)).toMatchObject({ protectedSite: 'site5', recoverySite: 'lognes' });
    expect(sim.control.vmPlacement(labVpg.name)).toEqual(before);
    await expect(a.rollback(unit)).resolves.toMatchObject({ primarySite: 'site5' });
    expect(posts('/moveRollBack')).toHaveLength(1);
  });

  it('finishes an interrupted switchover by committing the move already waiting', async () => {
    await adapter().move(unit, 'lognes');
    const st = await adapter().switchover(unit, 'lognes');
    expect(st.primarySite).toBe('lognes');
    expect(posts('/move')).toHaveLength(1);
    expect(posts('/MoveCommit')).toHaveLength(1);
  });

  it('moves with commit policy Commit and lets Zerto commit by itself', async () => {
    sim.control.setTimeScale(0.001);
    const st = await adapter().move(unit, 'lognes', { commitPolicy: 'Commit', reverseProtection: true });
    expect(st.primarySite).toBe('lognes');
    expect(posts('/move')[0]?.body).toMatchObject({ commitPolicy: 'Commit', commitPolicyTimeout: 300 });
    expect(posts('/MoveCommit')).toHaveLength(0);
  });

  it('turns a failed task into ZERTO_TASK_FAILED with its reason, and commits nothing', async () => {
    sim.control.failNextTask('VRA on esx-lognes-01 is not responding');
    const err = await adapter()
      .switchover(unit, 'lognes')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZertoError);
    expect(err).toMatchObject({ code: 'ZERTO_TASK_FAILED', retryable: false });
    expect((err as Error).message).toContain('Failed: VRA on esx-lognes-01 is not responding');
    expect(posts('/MoveCommit')).toHaveLength(0);
    expect(sim.control.vpg(labVpg.name)).toMatchObject({ protectedSite: 'site5', status: 1 });
  });

  it('refuses to switch over a VPG that is disconnected from its peer', async () => {
    sim.control.disconnectPeer();
    const a = adapter();
    await expect(a.status(unit)).resolves.toMatchObject({ health: 'disconnected' });
    await expect(a.switchover(unit, 'lognes')).rejects.toMatchObject({ code: 'ZERTO_WRONG_STATE' });
    expect(posts('/move')).toHaveLength(0);
  });
});

describe('Zerto adapter: failover, tests and resync', () => {
  it('fails over with the peer unreachable: no shutdown, no reverse protection, VMs run on the target', async () => {
    sim.control.disconnectPeer();
    const a = adapter();
    const st = await a.failover(unit, 'lognes');
    expect(st).toMatchObject({ primarySite: 'lognes', health: 'stopped' });
    expect(st.raw).toMatch(/^Recovered\//);
    expect(posts('/failover')[0]?.body).toEqual({
      commitPolicy: 'None',
      shutdownPolicy: 0,
      reverseProtection: false,
    });
    expect(posts('/FailoverCommit')).toHaveLength(1);
    expect(sim.control.vmPlacement(labVpg.name).every((p) => p.site === 'lognes')).toBe(true);

    await expect(a.failover(unit, 'lognes')).resolves.toMatchObject({ primarySite: 'lognes' });
    expect(posts('/failover')).toHaveLength(1);
    await expect(a.resync(unit)).rejects.toMatchObject({ code: 'ZERTO_WRONG_STATE' });
  });

  it('starts and stops a failover test, each idempotent', async () => {
    const a = adapter();
    const running = await a.startFailoverTest(unit);
    expect(running.raw).toContain('failover test running');
    await a.startFailoverTest(unit);
    expect(posts('/FailoverTest')).toHaveLength(1);
    await expect(a.switchover(unit, 'lognes')).rejects.toMatchObject({ code: 'ZERTO_WRONG_STATE' });

    const stopped = await a.stopFailoverTest(unit, true, 'web answered on the bubble network');
    expect(stopped.raw).not.toContain('failover test running');
    expect(posts('/FailoverTestStop')[0]?.body).toEqual({
      FailoverTestSuccess: true,
      FailoverTestSummary: 'web answered on the bubble network',
    });
    await a.stopFailoverTest(unit, true, 'again');
    expect(posts('/FailoverTestStop')).toHaveLength(1);
    expect(sim.control.vpg(labVpg.name).testRunning).toBe(false);
  });

  it('resyncs after the peer comes back, reporting progress until Meeting SLA', async () => {
    // About a second of delta sync at this time scale: long enough to be seen copying.
    sim.control.setDurations({ deltaSync: 100_000 });
    sim.control.disconnectPeer();
    const progress: ActionProgress[] = [];
    let reconnected = false;
    const st = await adapter().resync(unit, {
      onProgress: (p) => {
        progress.push(p);
        if (!reconnected) {
          reconnected = true;
          sim.control.reconnectPeer();
        }
      },
    });
    expect(st).toMatchObject({ health: 'in-sync', primarySite: 'site5' });
    expect(progress[0]?.status?.health).toBe('disconnected');
    expect(progress.some((p) => p.status?.health === 'copying' && p.percent !== null)).toBe(true);
  });
});
