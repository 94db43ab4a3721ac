import { z } from 'zod';
import { VcsimControlClient } from '../../../lab/vcsim/control-client.js';

// What the lab's vCenter holds, read through its control API: the demo checks each step's end
// state against it (every VM registered exactly once, on the expected site, powered on).

const stateSchema = z.object({
  vms: z.array(
    z.object({
      name: z.string(),
      site: z.string().nullable(),
      powerState: z.string().nullable(),
      registered: z.boolean(),
      datastores: z.array(z.string()),
    }),
  ),
});

export type LabVcenterState = z.infer<typeof stateSchema>;

export class LabVcenter {
  private readonly client: VcsimControlClient;

  constructor(controlUrl: string, caPem: string) {
    this.client = new VcsimControlClient(controlUrl, caPem);
  }

  async state(): Promise<LabVcenterState> {
    return stateSchema.parse(await this.client.get('/state'));
  }

  async post(path: string, body: Record<string, unknown>): Promise<void> {
    await this.client.post(path, body);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** Names of the registered VMs with a file on one of these datastores. */
export function vmsOn(state: LabVcenterState, datastores: string[]): string[] {
  return state.vms
    .filter((v) => v.registered && v.datastores.some((d) => datastores.includes(d)))
    .map((v) => v.name)
    .sort();
}

/** Problems, in words, if these VMs are not each registered once, running, on `site`. */
export function placementProblems(state: LabVcenterState, names: string[], site: string): string[] {
  const problems: string[] = [];
  for (const name of names) {
    const entries = state.vms.filter((v) => v.registered && v.name === name);
    if (entries.length !== 1) problems.push(`${name} is registered ${entries.length} times`);
    else if (entries[0]?.site !== site) problems.push(`${name} is on ${entries[0]?.site ?? 'no site'}`);
    else if (entries[0]?.powerState !== 'poweredOn') problems.push(`${name} is ${entries[0]?.powerState}`);
  }
  return problems;
}
