import { Agent, request } from 'undici';
import { z } from 'zod';

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
  private readonly agent: Agent;

  constructor(
    private readonly controlUrl: string,
    caPem: string,
  ) {
    this.agent = new Agent({ connect: { ca: caPem } });
  }

  async state(): Promise<LabVcenterState> {
    const res = await request(`${this.controlUrl}/state`, { dispatcher: this.agent });
    return stateSchema.parse(await res.body.json());
  }

  async post(path: string, body: Record<string, unknown>): Promise<void> {
    const res = await request(`${this.controlUrl}${path}`, {
      method: 'POST',
      dispatcher: this.agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`lab ${path} answered ${res.statusCode}: ${text}`);
  }

  close(): Promise<void> {
    return this.agent.close();
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
