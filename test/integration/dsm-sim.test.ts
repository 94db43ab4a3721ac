import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type DsmSim, startDsmSim } from '../../lab/dsm/index.js';
import { buildLabModel } from '../../lab/model.js';
import { makeTestCerts, type TestCerts } from '../support/test-certs.js';

// Waits for the stand-in to get somewhere, generous because two cores are shared; never a timing assertion.
const settle = { timeout: 10_000, interval: 10 };

// The stand-in on its own, spoken to as a raw REST client would: what it promises to Bascule's
// adapter (and to anyone reading the contract) is checked here without the adapter in between.

const model = buildLabModel();
const lvNames = model.datastores.filter((d) => d.method === 'live-volume').map((d) => d.liveVolume as string);
let certs: TestCerts;
let sim: DsmSim;
let agent: Agent;

async function call(
  method: 'GET' | 'POST',
  path: string,
  o: { body?: unknown; cookie?: string; version?: string; auth?: string; async?: boolean } = {},
) {
  const headers: Record<string, string> = {
    'x-dell-api-version': o.version ?? '4.1',
    accept: 'application/json',
  };
  if (o.cookie) headers.cookie = o.cookie;
  if (o.auth) headers.authorization = `Basic ${Buffer.from(o.auth).toString('base64')}`;
  if (o.async) headers.async = 'True';
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const res = await request(`${sim.url}/${path}`, {
    method,
    headers,
    body: o.body === undefined ? null : JSON.stringify(o.body),
    dispatcher: agent,
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers,
    json: text ? (JSON.parse(text) as Record<string, unknown>) : null,
  };
}

async function login(version = '4.1'): Promise<string> {
  const r = await call('POST', 'ApiConnection/Login', { body: {}, version, auth: 'bascule:lab-password' });
  expect(r.status).toBe(200);
  const setCookie = r.headers['set-cookie'];
  return String(Array.isArray(setCookie) ? setCookie[0] : setCookie).split(';')[0] as string;
}

beforeAll(async () => {
  certs = await makeTestCerts();
  agent = new Agent({ connect: { ca: certs.caPem } });
  sim = await startDsmSim({
    model,
    tls: { certPem: certs.certPem, keyPem: certs.keyPem },
    user: 'bascule',
    password: 'lab-password',
    timeScale: 0.01,
  });
});

afterAll(async () => {
  await sim.stop();
  await agent.close();
  await certs.cleanup();
});

describe('DSM stand-in', () => {
  it('names its version range in the text Cinder parses', async () => {
    const r = await call('POST', 'ApiConnection/Login', {
      body: {},
      version: '5.0',
      auth: 'bascule:lab-password',
    });
    expect(r.status).toBe(400);
    expect(String(r.json?.result)).toMatch(
      /^Invalid API version specified, the version must be in the range \[2\.0, 4\.1\]/,
    );
  });

  it('requires the session cookie after login and drops it on logout', async () => {
    expect((await call('GET', 'StorageCenter/ScLiveVolume')).status).toBe(401);
    const cookie = await login();
    const list = await call('GET', 'StorageCenter/ScLiveVolume', { cookie });
    expect(list.status).toBe(200);
    expect((list.json as unknown as Array<{ instanceName: string }>).map((l) => l.instanceName)).toEqual(
      lvNames,
    );
    expect((await call('POST', 'ApiConnection/Logout', { body: {}, cookie })).status).toBe(204);
    expect((await call('GET', 'StorageCenter/ScLiveVolume', { cookie })).status).toBe(401);
  });

  it('lists Storage Centers, one per site, and their Live Volumes', async () => {
    const cookie = await login();
    const conn = await call('GET', 'ApiConnection/ApiConnection', { cookie });
    const scs = await call('GET', `ApiConnection/ApiConnection/${conn.json?.instanceId}/StorageCenterList`, {
      cookie,
    });
    const list = scs.json as unknown as Array<{ name: string; scSerialNumber: number; status: string }>;
    expect(list.map((s) => s.name)).toEqual(['SC-SITE5', 'SC-LOGNES']);
    const first = list[0];
    const lvs = await call('GET', `StorageCenter/StorageCenter/${first?.scSerialNumber}/LiveVolumeList`, {
      cookie,
    });
    expect(lvs.json).toHaveLength(lvNames.length);
  });

  it('filters GetList with the wrapped form from 2.2 and the bare form before', async () => {
    const inner = {
      filterType: 'AND',
      filters: [{ attributeName: 'instanceName', attributeValue: lvNames[0], filterType: 'Equals' }],
    };
    const modern = await login('4.1');
    const wrapped = await call('POST', 'StorageCenter/ScLiveVolume/GetList', {
      body: { filter: inner },
      cookie: modern,
    });
    expect(wrapped.json).toHaveLength(1);
    expect(
      (await call('POST', 'StorageCenter/ScLiveVolume/GetList', { body: inner, cookie: modern })).status,
    ).toBe(400);
    const legacy = await login('2.0');
    const bare = await call('POST', 'StorageCenter/ScLiveVolume/GetList', { body: inner, cookie: legacy });
    expect(bare.json).toHaveLength(1);
  });

  it('runs SwapRoles as an AsyncTask, shows the swap in progress, then the roles exchanged', async () => {
    const cookie = await login();
    const name = lvNames[1] as string;
    const id = sim.control.liveVolume(name).instanceId as string;
    sim.control.holdSwaps(true);
    const accepted = await call('POST', `StorageCenter/ScLiveVolume/${id}/SwapRoles`, {
      body: {},
      cookie,
      async: true,
    });
    expect(accepted.status).toBe(202);
    expect(accepted.json).toMatchObject({ objectType: 'AsyncTask', methodName: 'SwapRoles' });
    expect(String(accepted.json?.returnValue)).toMatch(
      /^https:\/\/127\.0\.0\.1:\d+\/api\/rest\/ApiConnection\/AsyncTask\//,
    );
    const taskPath = String(accepted.json?.returnValue).split('/api/rest/')[1] as string;
    await vi.waitFor(async () => {
      const t = await call('GET', taskPath, { cookie });
      expect(t.json?.objectType).toBe('ScLiveVolume');
    }, settle);
    const during = await call('GET', `StorageCenter/ScLiveVolume/${id}`, { cookie });
    expect(during.json).toMatchObject({
      swappingRoles: true,
      primaryStorageCenter: { instanceName: 'SC-LOGNES' },
    });
    expect(during.json?.primarySwapRoleState).not.toBe('NotSwapping');
    const again = await call('POST', `StorageCenter/ScLiveVolume/${id}/SwapRoles`, {
      body: {},
      cookie,
      async: true,
    });
    expect(again.status).toBe(400);
    sim.control.holdSwaps(false);
    await vi.waitFor(async () => {
      const after = await call('GET', `StorageCenter/ScLiveVolume/${id}`, { cookie });
      expect(after.json).toMatchObject({
        swappingRoles: false,
        primarySwapRoleState: 'NotSwapping',
        secondarySwapRoleState: 'NotSwapping',
        primaryStorageCenter: { instanceName: 'SC-SITE5' },
        secondaryStorageCenter: { instanceName: 'SC-LOGNES' },
      });
    }, settle);
  });

  it('drops type, syncMode and syncStatus while the link is down, as Dell does', async () => {
    const cookie = await login();
    const name = lvNames[0] as string;
    sim.control.linkDown(name);
    const id = sim.control.liveVolume(name).instanceId as string;
    const down = (await call('GET', `StorageCenter/ScLiveVolume/${id}`, { cookie })).json ?? {};
    expect(down).toMatchObject({
      replicationState: 'Down',
      primaryPeerState: 'Disconnected',
      failoverState: 'Unprotected',
    });
    expect(Object.keys(down)).not.toContain('syncStatus');
    expect(Object.keys(down)).not.toContain('type');
    sim.control.linkUp(name);
    await vi.waitFor(async () => {
      const up = await call('GET', `StorageCenter/ScLiveVolume/${id}`, { cookie });
      expect(up.json).toMatchObject({
        replicationState: 'Up',
        syncStatus: 'Current',
        failoverState: 'Protected',
      });
    }, settle);
  });
});
