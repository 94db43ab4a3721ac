import type { IncomingMessage } from 'node:http';
import { listen, parseJson, type Reply } from '../shared/http.js';
import { ZertoAuth } from './auth.js';
import { ActionError, type CommitPolicy, type Task, type Vpg, ZertoState } from './state.js';
import type { ZertoControl, ZertoRequest, ZertoSim, ZertoSimOptions } from './types.js';
import { type VcsimCall, VcsimControl } from './vcsim.js';

export type { ZertoControl, ZertoDurations, ZertoRequest, ZertoSim, ZertoSimOptions } from './types.js';

// A Zerto Virtual Manager's REST API on one listener: /v1/... (VPGs, actions, tasks, sites) and
// Keycloak's /auth/realms/zerto/... for the appliance's tokens. Routes and JSON property names
// match case-insensitively, as ASP.NET does; whether the real ZVM does is not confirmed, so
// Bascule uses the casing of Zerto's own wrappers.

function message(status: number, text: string): Reply {
  return { status, body: { Message: text } };
}

/** A body property whatever its casing (commitPolicy / CommitPolicy). */
function field(body: unknown, name: string): unknown {
  if (typeof body !== 'object' || body === null) return undefined;
  const key = Object.keys(body).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : (body as Record<string, unknown>)[key];
}

function bool(v: unknown, fallback: boolean): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'True') return true;
  if (v === 'false' || v === 'False') return false;
  return fallback;
}

function commitPolicy(v: unknown): CommitPolicy | null {
  const names: CommitPolicy[] = ['Rollback', 'Commit', 'None'];
  if (v === undefined) return 'Rollback';
  if (typeof v === 'number') return names[v] ?? null;
  return names.find((n) => n.toLowerCase() === String(v).toLowerCase()) ?? null;
}

export async function startZertoSim(options: ZertoSimOptions): Promise<ZertoSim> {
  const vcsimCalls: VcsimCall[] = [];
  const vcsim = options.vcsim
    ? new VcsimControl(options.vcsim.controlUrl, options.vcsim.caPem, vcsimCalls)
    : null;
  const state = new ZertoState(options.model, options.timeScale ?? 1, options.durations ?? {}, vcsim);
  const auth = new ZertoAuth({
    user: options.user,
    password: options.password,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    tokenLifetimeSec: options.tokenLifetimeSec ?? 60,
    sessionIdleMs: options.sessionIdleMs ?? 30 * 60_000,
  });
  const localSite = options.site ?? options.model.sites[1] ?? options.model.sites[0] ?? 'site';
  const requests: ZertoRequest[] = [];
  let base = '';

  const siteRef = (site: string) => ({
    identifier: state.siteIds[site],
    href: `${base}/v1/${site === localSite ? 'localsite' : `peersites/${state.siteIds[site]}`}`,
    type: 'SiteApi',
  });

  const vpgView = (v: Vpg) => ({
    VpgIdentifier: v.id,
    VpgName: v.name,
    Status: v.status,
    SubStatus: v.subStatus,
    ActualRPO: state.actualRpo(v),
    ConfiguredRpoSeconds: 300,
    SourceSite: v.protectedSite,
    TargetSite: v.recoverySite,
    ProtectedSite: siteRef(v.protectedSite),
    RecoverySite: siteRef(v.recoverySite),
    Priority: 1,
    VmsCount: v.vms.length,
    ProgressPercentage: state.syncPercent(v),
    IOPs: 0,
    ThroughputInMB: 0,
    UsedStorageInMB: 20_480 * v.vms.length,
    ProvisionedStorageInMB: 40_960 * v.vms.length,
    HistoryStatusApi: {
      ActualHistoryInMinutes: 1_440,
      ConfiguredHistoryInMinutes: 1_440,
      EarliestCheckpoint: null,
    },
    ActiveProcessesApi: {
      RunningFailOverTestApi: v.test ? { StartTime: v.test.startedAt, Stage: 'Running' } : null,
    },
    LastTest: v.lastTest,
    OrganizationName: '',
    ServiceProfileName: null,
    Link: { href: `${base}/v1/vpgs/${v.id}`, identifier: v.id },
  });

  const taskView = (t: Task) => ({
    TaskIdentifier: t.id,
    Type: t.type,
    Started: t.started,
    Completed: t.completed,
    InitiatedBy: options.user,
    CompleteReason: t.completeReason,
    IsCancellable: false,
    Status: { State: t.state, Progress: t.progress },
    RelatedEntities: { Vpgs: [{ identifier: t.vpgId, href: `${base}/v1/vpgs/${t.vpgId}` }] },
    Link: { href: `${base}/v1/tasks/${t.id}`, identifier: t.id },
  });

  const action = (fn: () => Task): Reply => {
    try {
      return { status: 200, body: fn().id };
    } catch (err) {
      if (err instanceof ActionError) return message(400, err.message);
      throw err;
    }
  };

  const vpgAction = (v: Vpg, verb: string, body: unknown): Reply | null => {
    switch (verb) {
      case 'move': {
        const policy = commitPolicy(field(body, 'commitPolicy'));
        if (!policy) return message(400, 'Invalid commitPolicy.');
        const keep = bool(field(body, 'keepSourceVms'), false);
        return action(() =>
          state.startMove(v, {
            commitPolicy: policy,
            timeoutSec: Number(field(body, 'commitPolicyTimeout') ?? 600),
            forceShutdown: bool(field(body, 'forceShutdown'), false),
            // keepSourceVms forces reverse protection off, as Zerto documents.
            reverseProtection: keep ? false : bool(field(body, 'reverseProtection'), false),
          }),
        );
      }
      case 'movecommit': {
        const keep = bool(field(body, 'KeepSourceVms'), false);
        const reverse = field(body, 'ReverseProtection');
        return action(() =>
          state.commit(v, keep ? false : reverse === undefined ? undefined : bool(reverse, false)),
        );
      }
      case 'moverollback':
      case 'failoverrollback':
        return action(() => state.rollback(v));
      case 'failover': {
        const policy = commitPolicy(field(body, 'commitPolicy'));
        if (!policy) return message(400, 'Invalid commitPolicy.');
        return action(() =>
          state.startFailover(v, {
            commitPolicy: policy,
            timeoutSec: Number(field(body, 'TimeToWaitBeforeShutdownInSec') ?? 600),
            shutdownPolicy: Number(field(body, 'shutdownPolicy') ?? 0),
            reverseProtection: bool(field(body, 'reverseProtection'), false),
          }),
        );
      }
      case 'failovercommit': {
        const reverse = field(body, 'IsReverseProtection');
        return action(() => state.commit(v, reverse === undefined ? undefined : bool(reverse, false)));
      }
      case 'failovertest':
        return action(() => state.startTest(v));
      case 'failoverteststop':
        return action(() =>
          state.stopTest(
            v,
            bool(field(body, 'FailoverTestSuccess'), true),
            String(field(body, 'FailoverTestSummary') ?? ''),
          ),
        );
      case 'pause':
        return action(() => state.pause(v));
      case 'resume':
        return action(() => state.resume(v));
      default:
        return null;
    }
  };

  const api = (req: IncomingMessage, url: URL, body: unknown): Reply => {
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '').toLowerCase();
    if (method === 'DELETE' && path === '/v1/session') {
      auth.deleteSession(req);
      return { status: 200 };
    }
    if (method === 'GET' && path === '/v1/localsite') {
      return {
        status: 200,
        body: {
          SiteIdentifier: state.siteIds[localSite],
          SiteName: localSite,
          Location: localSite,
          SiteType: 'VCenter',
          Version: '9.7.0',
          IpAddress: '127.0.0.1',
          Link: { href: `${base}/v1/localsite`, identifier: state.siteIds[localSite] },
        },
      };
    }
    if (method === 'GET' && path === '/v1/peersites') {
      return {
        status: 200,
        body: options.model.sites
          .filter((s) => s !== localSite)
          .map((s) => ({
            SiteIdentifier: state.siteIds[s],
            PeerSiteName: s,
            Location: s,
            PairingStatus: state.peerConnected ? 0 : 1,
            SiteType: 'VCenter',
            Version: '9.7.0',
          })),
      };
    }
    if (method === 'GET' && path === '/v1/vpgs') {
      const q = (k: string) => [...url.searchParams].find(([n]) => n.toLowerCase() === k.toLowerCase())?.[1];
      const name = q('name');
      const status = q('status');
      const subStatus = q('subStatus');
      const list = state.vpgs.filter(
        (v) =>
          (name === undefined || v.name === name) &&
          (status === undefined || String(v.status) === status) &&
          (subStatus === undefined || String(v.subStatus) === subStatus),
      );
      return { status: 200, body: list.map(vpgView) };
    }
    const vpgMatch = /^\/v1\/vpgs\/([^/]+)(?:\/([^/]+))?$/.exec(path);
    if (vpgMatch) {
      const v = state.vpgs.find((x) => x.id.toLowerCase() === vpgMatch[1]);
      if (!v) return message(404, `VPG ${vpgMatch[1]} was not found.`);
      if (vpgMatch[2] === undefined) {
        return method === 'GET' ? { status: 200, body: vpgView(v) } : message(405, 'Method not allowed.');
      }
      if (method !== 'POST') return message(405, 'Method not allowed.');
      return vpgAction(v, vpgMatch[2], body) ?? message(404, `No action ${vpgMatch[2]}.`);
    }
    if (method === 'GET' && path === '/v1/tasks') {
      return { status: 200, body: [...state.tasks.values()].map(taskView) };
    }
    const taskMatch = /^\/v1\/tasks\/([^/]+)$/.exec(path);
    if (method === 'GET' && taskMatch) {
      const t = [...state.tasks.values()].find((x) => x.id.toLowerCase() === taskMatch[1]);
      return t ? { status: 200, body: taskView(t) } : message(404, `Task ${taskMatch[1]} was not found.`);
    }
    return message(404, `No HTTP resource was found that matches ${url.pathname}.`);
  };

  const listener = await listen(
    options.tls,
    async (req, text) => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const path = url.pathname.toLowerCase();
      const method = req.method ?? 'GET';
      const entry: ZertoRequest = { method, path: url.pathname, status: 0, auth: 'none' };
      let reply: Reply;
      if (method === 'POST' && path === '/auth/realms/zerto/protocol/openid-connect/token') {
        const form = new URLSearchParams(text);
        entry.grantType = form.get('grant_type') ?? '';
        entry.scope = form.get('scope') ?? '';
        entry.clientId = form.get('client_id') ?? '';
        reply = auth.token(req, form);
      } else if (method === 'POST' && path === '/v1/session/add') {
        entry.auth = 'basic';
        const body = parseJson(text);
        reply = body === undefined ? message(400, 'Invalid JSON body.') : auth.addSession(req, body);
      } else {
        const how = auth.check(req);
        if (how === null) {
          reply = message(401, 'Authorization has been denied for this request.');
        } else {
          entry.auth = how;
          const body = parseJson(text);
          if (method === 'POST') entry.body = body;
          reply = body === undefined ? message(400, 'Invalid JSON body.') : api(req, url, body);
        }
      }
      entry.status = reply.status;
      requests.push(entry);
      return reply;
    },
    (Message) => ({ Message }),
  );
  base = `${options.tls ? 'https' : 'http'}://127.0.0.1:${listener.port}`;

  const control: ZertoControl = {
    failNextTask: (reason) => {
      state.failNext = reason ?? 'The task failed: the recovery site VRA did not respond.';
    },
    disconnectPeer: () => state.disconnect(),
    reconnectPeer: () => state.reconnect(),
    expireTokens: () => auth.expireAll(),
    setDurations: (d) => {
      state.durations = { ...state.durations, ...d };
    },
    setTimeScale: (scale) => {
      state.timeScale = scale;
    },
    vpg: (name) => {
      const v = state.vpgByName(name);
      return {
        name: v.name,
        protectedSite: v.protectedSite,
        recoverySite: v.recoverySite,
        status: v.status,
        subStatus: v.subStatus,
        testRunning: v.test !== null,
        lastTest: v.lastTest,
      };
    },
    vmPlacement: (name) =>
      state.vpgByName(name).vms.map((vm) => {
        const p = state.placement.get(vm);
        return {
          vm,
          host: p?.host ?? '',
          datastore: p?.datastore ?? '',
          site: p?.site ?? '',
          powerOn: p?.powerOn ?? false,
        };
      }),
    requests,
    clearRequests: () => {
      requests.length = 0;
    },
    vcsimCalls,
  };

  return {
    url: base,
    port: listener.port,
    siteIds: { ...state.siteIds },
    control,
    stop: async () => {
      state.timers.clear();
      await listener.close();
      await vcsim?.close();
    },
  };
}
