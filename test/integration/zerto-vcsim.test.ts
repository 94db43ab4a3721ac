import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLabModel } from '../../lab/model.js';
import { startVcsim, type VcsimHandle } from '../../lab/vcsim/index.js';
import { startZertoSim, type ZertoSim } from '../../lab/zerto/index.js';
import type { ZertoReplicationAdapter } from '../../src/adapters/replication/types.js';
import { createZertoAdapter } from '../../src/adapters/zerto/index.js';
import type { ProtectedUnit } from '../../src/domain/replication.js';

// The Zerto stand-in wired to the lab's real vCenter simulator, as `bascule lab up` wires them: a
// switchover through the adapter must leave the VPG's VMs running on the other site's hosts, on the
// recovery datastore, as vCenter itself reports them; a rollback must bring them home.

const model = buildLabModel();
const labVpg = model.vpgs.find((v) => v.site === 'site5' && v.vms.length > 0);
if (!labVpg) throw new Error('the small lab has a VPG with VMs on site5');
const unit: ProtectedUnit = {
  id: labVpg.name,
  method: 'zerto',
  homeSite: 'site5',
  peerSite: 'lognes',
  datastores: [],
  array: 'zvm-lognes',
  ref: { kind: 'vpg', name: labVpg.name },
};

let dir: string;
let vc: VcsimHandle;
let sim: ZertoSim;
let adapter: ZertoReplicationAdapter;
let control: Agent;

interface LabVm {
  name: string;
  host: string | null;
  site: string | null;
  powerState: string | null;
  datastores: string[];
}

async function vmsOfVpg(): Promise<LabVm[]> {
  const res = await request(`${vc.controlUrl}/state`, { dispatcher: control });
  const state = (await res.body.json()) as { vms: LabVm[] };
  return state.vms.filter((v) => labVpg?.vms.includes(v.name));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bascule-zerto-vcsim-'));
  vc = await startVcsim({ model, dir, timeScale: 0.01 });
  control = new Agent({ connect: { ca: vc.caPem } });
  const [certPem, keyPem] = await Promise.all([
    readFile(join(dir, 'server.pem'), 'utf8'),
    readFile(join(dir, 'server-key.pem'), 'utf8'),
  ]);
  sim = await startZertoSim({
    model,
    tls: { certPem, keyPem },
    vcsim: { controlUrl: vc.controlUrl, caPem: vc.caPem },
    user: 'bascule',
    password: 'lab-password',
    clientId: 'bascule-automation',
    clientSecret: 'lab-client-secret',
    site: 'lognes',
    timeScale: 0.01,
  });
  adapter = createZertoAdapter({
    config: { name: 'zvm-lognes', type: 'zerto', site: 'lognes', url: sim.url, auth: 'keycloak' },
    credentials: { clientId: 'bascule-automation', clientSecret: 'lab-client-secret' },
    ca: vc.caPem,
    pollIntervalMs: 5,
  });
});

afterAll(async () => {
  await adapter?.close();
  await sim?.stop();
  await control?.close();
  await vc?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('Zerto stand-in with the real vcsim', () => {
  it('recovers the VMs on the other site at move time and puts them back on rollback', async () => {
    const before = await vmsOfVpg();
    expect(before.map((v) => v.site)).toEqual(labVpg.vms.map(() => 'site5'));

    await adapter.move(unit, 'lognes');
    const moved = await vmsOfVpg();
    expect(moved).toHaveLength(labVpg.vms.length);
    for (const vm of moved) {
      expect(vm).toMatchObject({
        site: 'lognes',
        powerState: 'poweredOn',
        datastores: ['ZERTO-RECOVERY-LOGNES'],
      });
    }

    await adapter.rollback(unit);
    const back = await vmsOfVpg();
    expect(back.map((v) => [v.name, v.host, v.site, v.powerState])).toEqual(
      before.map((v) => [v.name, v.host, v.site, v.powerState]),
    );
  });

  it('switches over with commit once resynced: the VMs stay on lognes, the VPG protects back to site5', async () => {
    // After the rollback the VPG delta-syncs; a switchover waits for Meeting SLA, as Bascule requires.
    await expect(adapter.resync(unit)).resolves.toMatchObject({ health: 'in-sync' });
    const st = await adapter.switchover(unit, 'lognes');
    expect(st.primarySite).toBe('lognes');
    expect(sim.control.vpg(labVpg.name)).toMatchObject({ protectedSite: 'lognes', recoverySite: 'site5' });
    expect((await vmsOfVpg()).every((v) => v.site === 'lognes' && v.powerState === 'poweredOn')).toBe(true);
  });
});

describe('failover test with the real vcsim', () => {
  it('runs copies of the VPG VMs at the recovery site during the test, production untouched', async () => {
    const before = await vmsOfVpg();
    const home = before[0]?.site;
    const recovery = home === 'site5' ? 'lognes' : 'site5';
    const copies = async () => {
      const res = await request(`${vc.controlUrl}/state`, { dispatcher: control });
      const state = (await res.body.json()) as { vms: LabVm[] };
      return state.vms.filter((v) => v.name.endsWith(' - testing recovery'));
    };
    await adapter.startFailoverTest(unit);
    const during = await copies();
    expect(during.map((v) => v.name).sort()).toEqual(labVpg.vms.map((n) => `${n} - testing recovery`).sort());
    for (const vm of during) expect(vm).toMatchObject({ site: recovery, powerState: 'poweredOn' });
    expect(await vmsOfVpg()).toEqual(before);

    await adapter.stopFailoverTest(unit, true, 'Bascule lab test');
    expect(await copies()).toEqual([]);
    expect(await vmsOfVpg()).toEqual(before);
    expect(sim.control.vpg(labVpg.name).lastTest).toMatch(/Succeeded: Bascule lab test/);
  });
});
