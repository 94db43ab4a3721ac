import { Agent, request } from 'undici';

// The client of vcsim's control API (lab/CONTRACT.md: /lab/state, /lab/storage/*, /lab/vm/*,
// /lab/faults, /lab/durations), trusting only the lab CA. The stand-ins (a Storwize switch
// presents a LUN, a Zerto move relocates VMs), the demo and the tests all go through it.

export class VcsimControlClient {
  private readonly agent: Agent;
  private readonly base: string;

  constructor(controlUrl: string, caPem: string, options: { timeoutMs?: number } = {}) {
    this.base = controlUrl.replace(/\/+$/, '');
    const t = options.timeoutMs;
    this.agent = new Agent({
      connect: { ca: caPem },
      ...(t === undefined ? {} : { headersTimeout: t, bodyTimeout: t }),
    });
  }

  get(path: string): Promise<unknown> {
    return this.call('GET', path);
  }

  post(path: string, body: unknown): Promise<unknown> {
    return this.call('POST', path, body);
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const res = await request(`${this.base}${path}`, {
      method,
      dispatcher: this.agent,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode >= 300) {
      throw new Error(`vcsim ${method} ${path} answered ${res.statusCode}: ${text.trim().slice(0, 300)}`);
    }
    return text ? (JSON.parse(text) as unknown) : null;
  }
}
