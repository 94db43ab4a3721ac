import { Agent, request } from 'undici';

// The Zerto stand-in recovers VMs the way Zerto does, by changing what vCenter shows: it calls
// vcsim's control API (POST /lab/vm/relocate, /lab/vm/power) with the lab CA.

export interface VcsimCall {
  path: string;
  body: unknown;
}

export class VcsimControl {
  private readonly agent: Agent;

  constructor(
    private readonly controlUrl: string,
    caPem: string,
    private readonly calls: VcsimCall[],
  ) {
    this.agent = new Agent({ connect: { ca: caPem } });
  }

  async post(path: string, body: unknown): Promise<void> {
    this.calls.push({ path, body });
    const res = await request(`${this.controlUrl.replace(/\/+$/, '')}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      dispatcher: this.agent,
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) {
      throw new Error(`vcsim ${path} answered ${res.statusCode}: ${text.slice(0, 200)}`);
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
