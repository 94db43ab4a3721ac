import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildLabModel } from '../../lab/model.js';
import { startZertoSim, type ZertoSim } from '../../lab/zerto/index.js';
import { makeTestCerts, type TestCerts } from '../support/test-certs.js';

// Waits for the stand-in to get somewhere, generous because two cores are shared; never a timing assertion.
const settle = { timeout: 10_000, interval: 10 };

// The Zerto stand-in spoken to as a raw REST client would, without the adapter in between.

const model = buildLabModel();
let certs: TestCerts;
let sim: ZertoSim;
let agent: Agent;

async function call(
  method: string,
  path: string,
  o: { headers?: Record<string, string>; body?: string } = {},
) {
  const res = await request(`${sim.url}${path}`, {
    method: method as 'GET' | 'POST' | 'DELETE',
    headers: o.headers ?? {},
    body: o.body ?? null,
    dispatcher: agent,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: text ? (JSON.parse(text) as unknown) : null };
}

function form(fields: Record<string, string>) {
  return {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  };
}

async function session(): Promise<Record<string, string>> {
  const r = await call('POST', '/v1/session/add', {
    headers: {
      authorization: `Basic ${Buffer.from('bascule:lab-password').toString('base64')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ AuthenticationMethod: '1' }),
  });
  expect(r.status).toBe(200);
  return { 'x-zerto-session': String(r.headers['x-zerto-session']), 'content-type': 'application/json' };
}

beforeAll(async () => {
  certs = await makeTestCerts();
  agent = new Agent({ connect: { ca: certs.caPem } });
  sim = await startZertoSim({
    model,
    tls: { certPem: certs.certPem, keyPem: certs.keyPem },
    user: 'bascule',
    password: 'lab-password',
    clientId: 'bascule-automation',
    clientSecret: 'lab-client-secret',
    site: 'lognes',
    timeScale: 0.01,
    tokenLifetimeSec: 45,
  });
});

afterAll(async () => {
  await sim.stop();
  await agent.close();
  await certs.cleanup();
});

describe('Zerto stand-in: authentication', () => {
  it('hands out a session token in x-zerto-session and refuses calls without one', async () => {
    expect((await call('GET', '/v1/vpgs')).status).toBe(401);
    const h = await session();
    const list = await call('GET', '/v1/vpgs', { headers: h });
    expect(list.status).toBe(200);
    expect((list.json as Array<{ VpgName: string }>).map((v) => v.VpgName)).toEqual(
      model.vpgs.map((v) => v.name),
    );
    expect((await call('DELETE', '/v1/session', { headers: h })).status).toBe(200);
    expect((await call('GET', '/v1/vpgs', { headers: h })).status).toBe(401);
  });

  it('answers Keycloak grants as Keycloak does', async () => {
    const token = '/auth/realms/zerto/protocol/openid-connect/token';
    const pw = await call(
      'POST',
      token,
      form({
        grant_type: 'password',
        client_id: 'zerto-client',
        username: 'bascule',
        password: 'lab-password',
        scope: 'openid',
      }),
    );
    expect(pw.json).toMatchObject({ expires_in: 45, token_type: 'Bearer', scope: 'openid profile email' });
    const refresh = (pw.json as { refresh_token: string }).refresh_token;
    const renewed = await call(
      'POST',
      token,
      form({ grant_type: 'refresh_token', client_id: 'zerto-client', refresh_token: refresh }),
    );
    expect(renewed.status).toBe(200);
    // Refresh tokens are single use.
    const replay = await call(
      'POST',
      token,
      form({ grant_type: 'refresh_token', client_id: 'zerto-client', refresh_token: refresh }),
    );
    expect(replay).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });

    const cc = await call(
      'POST',
      token,
      form({
        grant_type: 'client_credentials',
        client_id: 'bascule-automation',
        client_secret: 'lab-client-secret',
      }),
    );
    expect(cc.status).toBe(200);
    expect(Object.keys(cc.json as object)).not.toContain('refresh_token');
    const bearer = { authorization: `Bearer ${(cc.json as { access_token: string }).access_token}` };
    expect((await call('GET', '/v1/localsite', { headers: bearer })).json).toMatchObject({
      SiteName: 'lognes',
      SiteIdentifier: sim.siteIds.lognes,
    });

    expect(
      (await call('POST', token, form({ grant_type: 'client_credentials', client_id: 'zerto-client' }))).json,
    ).toMatchObject({ error: 'unauthorized_client' });
    expect(
      (
        await call(
          'POST',
          token,
          form({ grant_type: 'client_credentials', client_id: 'bascule-automation', client_secret: 'x' }),
        )
      ).status,
    ).toBe(401);
    expect((await call('POST', token, form({ grant_type: 'implicit' }))).json).toMatchObject({
      error: 'unsupported_grant_type',
    });
  });
});

describe('Zerto stand-in: a move with commit policy None', () => {
  it('runs the task to WaitingForUserInput with the VPG Before Commit, then commits and reverses protection', async () => {
    const h = await session();
    const name = model.vpgs[0]?.name as string;
    const v = (
      (await call('GET', `/v1/vpgs?name=${encodeURIComponent(name)}`, { headers: h })).json as Array<{
        VpgIdentifier: string;
      }>
    )[0];
    const id = v?.VpgIdentifier as string;
    const move = await call('POST', `/v1/vpgs/${id}/move`, {
      headers: h,
      body: JSON.stringify({ commitPolicy: 'None', reverseProtection: true, forceShutdown: false }),
    });
    expect(move.status).toBe(200);
    const taskId = move.json as string;
    expect(taskId).toMatch(/^[0-9a-f-]+\.[0-9a-f-]+$/);
    const first = (await call('GET', `/v1/tasks/${taskId}`, { headers: h })).json;
    expect(first).toMatchObject({ Status: { State: 1 } });
    await vi.waitFor(async () => {
      expect((await call('GET', `/v1/tasks/${taskId}`, { headers: h })).json).toMatchObject({
        Status: { State: 2 },
      });
    }, settle);
    expect((await call('GET', `/v1/vpgs/${id}`, { headers: h })).json).toMatchObject({
      Status: 6,
      SubStatus: 19,
    });
    // A second move while one waits for its commit is refused.
    expect((await call('POST', `/v1/vpgs/${id}/move`, { headers: h, body: '{}' })).status).toBe(400);
    // Routes and property names match whatever their casing.
    const commit = await call('POST', `/v1/VPGS/${id}/movecommit`, { headers: h, body: '{}' });
    expect(commit.status).toBe(200);
    await vi.waitFor(async () => {
      expect((await call('GET', `/v1/tasks/${taskId}`, { headers: h })).json).toMatchObject({
        Status: { State: 6, Progress: 100 },
      });
    }, settle);
    const after = (await call('GET', `/v1/vpgs/${id}`, { headers: h })).json;
    expect(after).toMatchObject({
      ProtectedSite: { identifier: sim.siteIds.lognes },
      RecoverySite: { identifier: sim.siteIds.site5 },
    });
  });
});
