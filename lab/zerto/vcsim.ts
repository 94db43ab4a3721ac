import { VcsimControlClient } from '../vcsim/control-client.js';

// The Zerto stand-in recovers VMs the way Zerto does, by changing what vCenter shows: it calls
// vcsim's control API (POST /lab/vm/relocate, /lab/vm/power), and keeps a log of the calls.

export interface VcsimCall {
  path: string;
  body: unknown;
}

export class VcsimControl {
  private readonly client: VcsimControlClient;

  constructor(
    controlUrl: string,
    caPem: string,
    private readonly calls: VcsimCall[],
  ) {
    this.client = new VcsimControlClient(controlUrl, caPem);
  }

  async post(path: string, body: unknown): Promise<void> {
    this.calls.push({ path, body });
    await this.client.post(path, body);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
