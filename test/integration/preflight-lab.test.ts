import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Lab, startLab } from '../../lab/index.js';
import { VcsimControlClient } from '../../lab/vcsim/control-client.js';
import { loadTopology } from '../../src/config/load.js';
import type { Topology } from '../../src/config/schema.js';
import type { MoveRequest } from '../../src/domain/preflight/types.js';
import { gatherPreflight } from '../../src/jobs/preflight/gather.js';
import { spawnBascule } from '../support/spawn-bascule.js';

// Preflight through the real adapters against the lab: vim25 inventory from the vCenter
// simulator, replication status from the Storwize, DSM and Zerto stand-ins.

let lab: Lab;
let dir: string;
let topology: Topology;
let env: Record<string, string>;
let vcsim: VcsimControlClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bascule-preflight-lab-'));
  lab = await startLab({ size: 'small', dir, timeScale: 0.01, detached: false });
  env = parseEnv(await readFile(lab.info.files.env, 'utf8')) as Record<string, string>;
  topology = loadTopology(lab.info.files.sitesYaml);
  vcsim = new VcsimControlClient(lab.info.vcsim.controlUrl, await readFile(lab.info.files.ca, 'utf8'));
});

afterAll(async () => {
  await vcsim?.close();
  await lab?.stop();
  await rm(dir, { recursive: true, force: true });
});

const coldUnit: MoveRequest = {
  kind: 'migrate',
  from: 'site5',
  to: 'lognes',
  forceOff: true,
  datastores: ['SAN-SITE5-PROD-01'],
};

const preflight = (req: MoveRequest) => gatherPreflight({ topology, env, activeRuns: async () => [] }, req);

describe('preflight against the lab', () => {
  it('finds the redundant LDAP pair on one cold datastore and says where to move one of them', async () => {
    const result = await preflight(coldUnit);
    expect(result.blocked).toBe(true);
    const blocks = result.findings.filter((f) => f.severity === 'block');
    expect(blocks.map((f) => f.code)).toEqual(['REDUNDANCY_SAME_STOP_GROUP']);
    const finding = blocks[0]!;
    expect(finding.objects.vms).toEqual(['ldap-01', 'ldap-02']);
    expect(finding.fix).toMatch(/Storage-vMotion ldap-02 from SAN-SITE5-PROD-01 to SAN-SITE5-PROD-02/);
    // The plan is still computed, so the operator sees what would happen once it is fixed.
    expect(result.plan.groups.map((g) => g.id)).toEqual(['SAN-SITE5-PROD-01']);
    expect(result.plan.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('passes once ldap-02 is moved to the suggested datastore', async () => {
    // The lab stands in for the Storage vMotion an operator would do in the vSphere client.
    await vcsim.post('/vm/relocate', { vm: 'ldap-02', host: 'esx-site5-02', datastore: 'SAN-SITE5-PROD-02' });

    const result = await preflight(coldUnit);
    expect(result.findings.filter((f) => f.severity === 'block')).toEqual([]);
    expect(result.blocked).toBe(false);
    const shutdown = result.plan.groups[0]?.steps.find((s) => s.kind === 'shutdown-vms');
    expect(shutdown?.kind === 'shutdown-vms' && shutdown.vms.map((v) => v.name)).not.toContain('ldap-02');
    // Estimates come from the lab's sites.yaml: its 3 s rescan at time scale 0.01, not a real
    // site's 30 s default.
    const rescan = result.plan.groups[0]?.steps.find((s) => s.kind === 'rescan-hosts');
    expect(rescan?.estimateMs).toBe(30);
  });

  it('answers through the CLI with exit code 3 when blocked and the report on stdout', async () => {
    const p = spawnBascule(['preflight', 'site5', '--to', 'lognes'], {
      ...env,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    });
    const { code } = await p.exit;
    const out = p.lines.map((l) => String(l.msg)).join('\n');
    expect(code).toBe(3);
    expect(out).toMatch(/Preflight migrate site5 -> lognes: BLOCKED/);
    expect(out).toMatch(/CDROM_ISO_NOT_REPLICATED\] git-07/);
    expect(out).toMatch(/Plan hash [0-9a-f]{64}/);
  });

  it('refuses a mistyped site with the usage and exit code 2', async () => {
    const p = spawnBascule(['preflight', 'site6', '--to', 'lognes'], {
      ...env,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    });
    const { code } = await p.exit;
    expect(code).toBe(2);
    expect(p.stderr()).toMatch(/unknown site "site6" \(did you mean "site5"\?\)/);
    expect(p.stderr()).toMatch(/Usage:\n {2}bascule preflight SITE --to SITE/);
  });
});
