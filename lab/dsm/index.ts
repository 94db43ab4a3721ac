import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { basicAuth, listen, parseJson, type Reply } from '../shared/http.js';
import { DsmState, liveVolumeView, replicationProgressView, storageCenterView } from './state.js';
import type { DsmControl, DsmRequest, DsmSim, DsmSimOptions } from './types.js';

export type {
  DsmControl,
  DsmDurations,
  DsmRequest,
  DsmSim,
  DsmSimOptions,
  DsmStorageCenter,
} from './types.js';

// Dell Storage Manager's REST API as Bascule uses it, under /api/rest/: Basic-auth login with
// version negotiation, a session cookie, Live Volume reads and filtered lists, and SwapRoles run
// as an async task. The cookie name is not documented publicly; JSESSIONID (DSM is a Java server)
// is this stand-in's choice, and clients must keep whatever cookie they are given.

const COOKIE = 'JSESSIONID';

function version(v: string | undefined): number | null {
  const m = /^(\d+)\.(\d+)$/.exec(v ?? '');
  return m ? Number(m[1]) * 1_000 + Number(m[2]) : null;
}

function fail(status: number, result: string): Reply {
  return { status, body: { result } };
}

interface Session {
  apiVersion: string;
}

interface AsyncTask {
  id: string;
  methodName: string;
  objectTypeName: string;
  result: Reply | null;
}

interface Filter {
  filterType: string;
  filters: Array<{ attributeName: string; attributeValue: unknown; filterType: string }>;
}

function asFilter(v: unknown): Filter | null {
  if (typeof v !== 'object' || v === null) return null;
  const f = v as Partial<Filter>;
  if (typeof f.filterType !== 'string' || !Array.isArray(f.filters)) return null;
  return f as Filter;
}

function attribute(obj: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
  if (key === undefined) return undefined;
  const v = obj[key];
  // Object references filter on their instanceId, as DSM's references do.
  if (typeof v === 'object' && v !== null && 'instanceId' in v) {
    return (v as { instanceId: unknown }).instanceId;
  }
  return v;
}

function matches(obj: Record<string, unknown>, filter: Filter): boolean {
  const results = filter.filters.map((f) => {
    const v = attribute(obj, f.attributeName);
    if (f.filterType === 'Equals') return v !== undefined && String(v) === String(f.attributeValue);
    if (f.filterType === 'IncludesString') {
      return typeof v === 'string' && v.includes(String(f.attributeValue));
    }
    return false;
  });
  return filter.filterType === 'OR' ? results.some(Boolean) : results.every(Boolean);
}

export async function startDsmSim(options: DsmSimOptions): Promise<DsmSim> {
  const state = new DsmState(options.model, options.timeScale ?? 1, options.durations ?? {});
  const [minText, maxText] = options.apiVersionRange ?? ['2.0', '4.1'];
  const min = version(minText) as number;
  const max = version(maxText) as number;
  const sessions = new Map<string, Session>();
  const tasks = new Map<string, AsyncTask>();
  const requests: DsmRequest[] = [];
  let taskSeq = 0;
  let baseUrl = '';

  const scConnected = (serial: number) =>
    !state.liveVolumes.some((lv) => lv.primary.serial === serial && !lv.primaryUp);

  const sessionOf = (req: IncomingMessage): Session | undefined => {
    const cookie = req.headers.cookie ?? '';
    for (const part of cookie.split(';')) {
      const [k, v] = part.trim().split('=');
      if (k === COOKIE && v !== undefined) return sessions.get(v);
    }
    return undefined;
  };

  const filterBody = (session: Session, body: string): Filter | null | 'invalid' => {
    const parsed = parseJson(body);
    if (parsed === undefined) return 'invalid';
    if (typeof parsed === 'object' && parsed !== null && Object.keys(parsed).length === 0) return null;
    // Before 2.2 the filter is sent bare; from 2.2 on it is wrapped in {"filter": …}.
    const legacy = (version(session.apiVersion) as number) < 2_002;
    const f = legacy ? asFilter(parsed) : asFilter((parsed as { filter?: unknown }).filter);
    return f ?? 'invalid';
  };

  const list = (session: Session, body: string, items: Array<Record<string, unknown>>): Reply => {
    const f = filterBody(session, body);
    if (f === 'invalid') return fail(400, 'Invalid filter specified for the requested API version.');
    return { status: 200, body: f ? items.filter((i) => matches(i, f)) : items };
  };

  const asyncTaskView = (t: AsyncTask) => ({
    objectType: 'AsyncTask',
    instanceId: t.id,
    instanceName: `AsyncTask ${t.id}`,
    // DSM returns a full URL here (Cinder strips scheme and host because of a known bug).
    returnValue: `${baseUrl}/ApiConnection/AsyncTask/${t.id}`,
    methodName: t.methodName,
    objectTypeName: t.objectTypeName,
  });

  const swapRoles = async (id: string, isAsync: boolean): Promise<Reply> => {
    const lv = state.find(id);
    if (!lv) return fail(404, `ScLiveVolume ${id} not found.`);
    const refusal = state.swapRefusal(lv);
    if (refusal) return fail(400, refusal);
    const injected = state.failNextSwap;
    state.failNextSwap = null;
    if (injected === null) state.startSwap(lv);
    taskSeq += 1;
    const task: AsyncTask = {
      id: String(taskSeq),
      methodName: 'SwapRoles',
      objectTypeName: 'ScLiveVolume',
      result: null,
    };
    tasks.set(task.id, task);
    const done = new Promise<Reply>((resolve) => {
      state.timers.after(state.scaled(state.durations.asyncAccept), () => {
        task.result = injected !== null ? fail(400, injected) : { status: 200, body: liveVolumeView(lv) };
        resolve(task.result);
      });
    });
    if (isAsync) return { status: 202, body: asyncTaskView(task) };
    return done;
  };

  const route = async (
    req: IncomingMessage,
    body: string,
    path: string,
    isAsync: boolean,
  ): Promise<Reply> => {
    const method = req.method ?? 'GET';
    if (method === 'POST' && path === 'ApiConnection/Login') {
      const v = version(req.headers['x-dell-api-version'] as string | undefined);
      if (v === null || v < min || v > max) {
        return fail(
          400,
          `Invalid API version specified, the version must be in the range [${minText}, ${maxText}].`,
        );
      }
      const creds = basicAuth(req.headers.authorization);
      if (!creds || creds.user !== options.user || creds.password !== options.password) {
        return fail(401, 'Invalid user name or password.');
      }
      const payload = parseJson(body) as { Application?: string; ApplicationVersion?: string } | undefined;
      const key = randomBytes(16).toString('hex');
      const apiVersion = req.headers['x-dell-api-version'] as string;
      sessions.set(key, { apiVersion });
      return {
        status: 200,
        headers: { 'set-cookie': `${COOKIE}=${key}; Path=/api/rest; Secure; HttpOnly` },
        body: {
          objectType: 'ApiConnection',
          instanceId: '0',
          instanceName: 'ApiConnection',
          apiVersion,
          apiBuild: 527,
          provider: 'EnterpriseManager',
          providerVersion: '20.1.0.12',
          connected: true,
          userName: creds.user,
          sessionKey: sessions.size,
          webServicesPort: 3033,
          application: payload?.Application ?? '',
          applicationVersion: payload?.ApplicationVersion ?? '',
        },
      };
    }
    const session = sessionOf(req);
    if (!session) return fail(401, 'Not authenticated: log in with ApiConnection/Login first.');

    if (method === 'POST' && path === 'ApiConnection/Logout') {
      for (const [k, s] of sessions) if (s === session) sessions.delete(k);
      return { status: 204 };
    }
    if (method === 'GET' && path === 'ApiConnection/ApiConnection') {
      return {
        status: 200,
        body: { objectType: 'ApiConnection', instanceId: '0', apiVersion: session.apiVersion },
      };
    }
    if (method === 'GET' && path === 'ApiConnection/ApiConnection/0/StorageCenterList') {
      return {
        status: 200,
        body: state.storageCenters.map((sc) => storageCenterView(sc, scConnected(sc.serial))),
      };
    }
    const task = /^ApiConnection\/AsyncTask\/([^/]+)$/.exec(path);
    if (method === 'GET' && task) {
      const t = tasks.get(task[1] as string);
      if (!t) return fail(404, `AsyncTask ${task[1]} not found.`);
      return t.result ?? { status: 200, body: asyncTaskView(t) };
    }
    const scs = () => state.storageCenters.map((sc) => storageCenterView(sc, scConnected(sc.serial)));
    if (method === 'GET' && path === 'StorageCenter/StorageCenter') return { status: 200, body: scs() };
    if (method === 'POST' && path === 'StorageCenter/StorageCenter/GetList') {
      return list(session, body, scs());
    }
    const lvList = /^StorageCenter\/StorageCenter\/(\d+)\/LiveVolumeList$/.exec(path);
    if (method === 'GET' && lvList) {
      const serial = Number(lvList[1]);
      if (!state.storageCenters.some((sc) => sc.serial === serial)) {
        return fail(404, `StorageCenter ${serial} not found.`);
      }
      const mine = state.liveVolumes.filter(
        (lv) => lv.primary.serial === serial || lv.secondary.serial === serial,
      );
      return { status: 200, body: mine.map(liveVolumeView) };
    }
    if (method === 'GET' && path === 'StorageCenter/ScLiveVolume') {
      return { status: 200, body: state.liveVolumes.map(liveVolumeView) };
    }
    if (method === 'POST' && path === 'StorageCenter/ScLiveVolume/GetList') {
      return list(session, body, state.liveVolumes.map(liveVolumeView));
    }
    const swap = /^StorageCenter\/ScLiveVolume\/([^/]+)\/SwapRoles$/.exec(path);
    if (method === 'POST' && swap) return swapRoles(swap[1] as string, isAsync);
    const one = /^StorageCenter\/ScLiveVolume\/([^/]+)$/.exec(path);
    if (method === 'GET' && one) {
      const lv = state.liveVolumes.find((l) => l.instanceId === one[1]);
      return lv ? { status: 200, body: liveVolumeView(lv) } : fail(404, `ScLiveVolume ${one[1]} not found.`);
    }
    if (method === 'GET' && path === 'StorageCenter/ScReplicationProgress') {
      return { status: 200, body: state.liveVolumes.map((lv) => replicationProgressView(state, lv)) };
    }
    if (method === 'POST' && path === 'StorageCenter/ScReplicationProgress/GetList') {
      return list(
        session,
        body,
        state.liveVolumes.map((lv) => replicationProgressView(state, lv)),
      );
    }
    const progress = /^StorageCenter\/ScReplicationProgress\/([^/]+)$/.exec(path);
    if (method === 'GET' && progress) {
      const lv = state.liveVolumes.find((l) => `${l.instanceId}.progress` === progress[1]);
      return lv
        ? { status: 200, body: replicationProgressView(state, lv) }
        : fail(404, `ScReplicationProgress ${progress[1]} not found.`);
    }
    return fail(404, `No such resource: ${method} ${path}`);
  };

  const listener = await listen(options.tls, async (req, body) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const prefix = '/api/rest/';
    const path = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname;
    const isAsync = String(req.headers.async ?? '').toLowerCase() === 'true';
    const reply = url.pathname.startsWith(prefix)
      ? await route(req, body, path, isAsync)
      : fail(404, `No such resource: ${url.pathname}`);
    requests.push({
      method: req.method ?? 'GET',
      path,
      status: reply.status,
      async: isAsync,
      apiVersion: req.headers['x-dell-api-version'] as string | undefined,
    });
    return reply;
  });
  baseUrl = `${options.tls ? 'https' : 'http'}://127.0.0.1:${listener.port}/api/rest`;

  const control: DsmControl = {
    linkDown: (name) => {
      for (const lv of state.select(name)) state.linkDown(lv);
    },
    linkUp: (name) => {
      for (const lv of state.select(name)) state.linkUp(lv);
    },
    activateSecondary: (name) => state.activateSecondary(state.get(name)),
    restorePrimary: (name) => state.restorePrimary(state.get(name)),
    failNextSwap: (message) => {
      state.failNextSwap = message ?? 'Swap roles failed: the remote Storage Center did not respond in time.';
    },
    holdSwaps: (hold) => {
      state.holdSwaps = hold;
      if (!hold) state.releaseSwaps();
    },
    setDurations: (d) => {
      state.durations = { ...state.durations, ...d };
    },
    setTimeScale: (scale) => {
      state.timeScale = scale;
    },
    expireSessions: () => sessions.clear(),
    liveVolume: (name) => liveVolumeView(state.get(name)),
    requests,
    clearRequests: () => {
      requests.length = 0;
    },
  };

  return {
    url: baseUrl,
    port: listener.port,
    storageCenters: state.storageCenters.map((sc) => ({ ...sc })),
    control,
    stop: async () => {
      state.stop();
      await listener.close();
    },
  };
}
