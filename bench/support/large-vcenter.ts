import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabModel } from '../../lab/model.js';
import { startVcsim } from '../../lab/vcsim/index.js';
import { VsphereClient } from '../../src/adapters/vsphere/index.js';

/**
 * The lab's vCenter simulator built from `model`, with Bascule's client logged in over HTTPS
 * (verification on, the lab CA), for `fn`; both are stopped and the lab's files removed after,
 * whatever `fn` did.
 */
export async function withVcenter<T>(
  model: LabModel,
  name: string,
  log: (line: string) => void,
  fn: (client: VsphereClient) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), `bascule-bench-${name}-`));
  const started = performance.now();
  const vcsim = await startVcsim({ model, dir, timeScale: 0.01, readyTimeoutMs: 300_000 });
  log(
    `lab up in ${((performance.now() - started) / 1000).toFixed(1)} s: ${model.vms.length} VMs, ${model.hosts.length} hosts`,
  );
  let client: VsphereClient | undefined;
  try {
    client = await VsphereClient.connect({
      url: vcsim.url,
      tls: { caPem: vcsim.caPem },
      userName: 'bascule',
      password: 'lab-password',
      requestTimeoutMs: 600_000,
    });
    return await fn(client);
  } finally {
    try {
      await client?.close();
    } finally {
      await vcsim.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }
}
