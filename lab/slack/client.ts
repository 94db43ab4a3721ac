import type { SlackControl } from './control.js';
import type { SlackSimState } from './types.js';

// Control of a stand-in running in another process (a detached lab), over its /lab/ routes. Same
// interface as the in-process `sim.control`.

export interface RemoteSlackSim {
  url: string;
  apiUrl: string;
  control: SlackControl;
}

async function call<T>(
  base: string,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`Slack stand-in ${method} ${path}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

export function connectSlackSim(url: string): RemoteSlackSim {
  const base = url.replace(/\/+$/, '');
  return {
    url: base,
    apiUrl: `${base}/api/`,
    control: {
      state: () => call<SlackSimState>(base, 'GET', '/lab/state'),
      fault: async (spec) => {
        await call(base, 'POST', '/lab/faults', spec);
      },
      clearFaults: async () => {
        await call(base, 'DELETE', '/lab/faults');
      },
      reset: async () => {
        await call(base, 'POST', '/lab/reset');
      },
      issue: (req) => call(base, 'POST', '/lab/issue', req),
      postAsUser: (m) => call(base, 'POST', '/lab/messages', m),
    },
  };
}
