import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLabModel, type LabModel } from '../../lab/model.js';
import { VcsimControlClient } from '../../lab/vcsim/control-client.js';
import { startVcsim, type VcsimHandle } from '../../lab/vcsim/index.js';
import { VsphereClient, type VsphereTls } from '../../src/adapters/vsphere/index.js';

// The small lab's vCenter for the vSphere adapter's integration tests: started once per test file,
// over HTTPS with the lab CA, plus its control API (faults, storage presentation, state).

export interface LabVm {
  name: string;
  moref: string;
  host: string;
  site: string;
  powerState: string;
  registered: boolean;
  datastores: string[];
  vmxPath: string;
  numCpu: number;
  memoryMb: number;
}

export interface LabState {
  vms: LabVm[];
  datastores: Array<{
    name: string;
    moref: string;
    vmfsUuid: string;
    mountedOn: string[];
    accessible: boolean;
  }>;
  unresolved: Array<{ host: string; datastore: string; vmfsUuid: string; devicePath: string }>;
}

export interface VsphereLab {
  model: LabModel;
  dir: string;
  vcsim: VcsimHandle;
  /** A client trusting the lab CA only, verification on. */
  connect(tls?: VsphereTls): Promise<VsphereClient>;
  control(path: string, body?: unknown): Promise<unknown>;
  state(): Promise<LabState>;
  stop(): Promise<void>;
}

export const labUser = { userName: 'bascule', password: 'lab-password' };

export async function startVsphereLab(): Promise<VsphereLab> {
  const model = buildLabModel({ size: 'small' });
  const dir = await mkdtemp(join(tmpdir(), 'bascule-vsphere-'));
  const vcsim = await startVcsim({ model, dir, timeScale: 0.01 });
  const controlClient = new VcsimControlClient(vcsim.controlUrl, vcsim.caPem);
  const clients: VsphereClient[] = [];

  const control = (path: string, body?: unknown): Promise<unknown> =>
    body === undefined ? controlClient.get(path) : controlClient.post(path, body);

  return {
    model,
    dir,
    vcsim,
    async connect(tls = { caPem: vcsim.caPem }) {
      const client = await VsphereClient.connect({ url: vcsim.url, tls, ...labUser });
      clients.push(client);
      return client;
    },
    control,
    async state() {
      return (await control('/state')) as LabState;
    },
    async stop() {
      try {
        for (const c of clients) await c.session.transport.close();
        await controlClient.close();
      } finally {
        await vcsim.stop();
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

export async function serverCertPem(lab: VsphereLab): Promise<string> {
  return readFile(join(lab.dir, 'server.pem'), 'utf8');
}
