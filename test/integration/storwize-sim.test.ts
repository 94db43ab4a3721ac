import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import ssh2 from 'ssh2';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ed25519KeyPair, type StorwizeSim, startStorwizeSim } from '../../lab/storwize/index.js';
import { makeTestCerts, type TestCerts } from '../support/test-certs.js';
import { Cli, detail, PASSWORD, testModel, USER, until } from './storwize-helpers.js';

// The stand-in as a client sees it over SSH: what each command prints, the remote-copy state
// machine of reference §1.4–1.5, the SSH rules, fault injection, and the calls to vcsim.

const REL = 'rc_san_site5_prod_01'; // site5 is master
const REL_LOGNES = 'rc_san_lognes_prod_01';
const CG = 'cg_san_site5_prod_02'; // rc_san_site5_prod_02 and rc_san_site5_prod_04
const HUGE = 'rc_san_lognes_prod_05'; // 1 PB to copy: stays copying

let sim: StorwizeSim;
let site5: Cli;
let lognes: Cli;

async function startSim(extra: Partial<Parameters<typeof startStorwizeSim>[0]> = {}) {
  sim = await startStorwizeSim({
    model: testModel(),
    user: USER,
    password: PASSWORD,
    timeScale: 0.01,
    ...extra,
  });
  site5 = await Cli.open(sim.arrays[0]?.port as number);
  lognes = await Cli.open(sim.arrays[1]?.port as number);
}

async function stopSim() {
  site5.close();
  lognes.close();
  await sim.stop();
}

async function rel(cli: Cli, name: string): Promise<Record<string, string>> {
  const r = await cli.run(`svcinfo lsrcrelationship -delim : ${name}`);
  expect(r.code).toBe(0);
  return detail(r.stdout);
}

async function ok(cli: Cli, command: string): Promise<void> {
  expect(await cli.run(command)).toEqual({ stdout: '', stderr: '', code: 0 });
}

async function refused(cli: Cli, command: string): Promise<string> {
  const r = await cli.run(command);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  return r.stderr.trim();
}

describe('Storwize stand-in: listings', () => {
  beforeAll(() => startSim());
  afterAll(() => stopSim());

  it('prints the concise view with a header mapped by name, and -nohdr drops it', async () => {
    const r = await site5.run('svcinfo lsrcrelationship -delim :');
    const [header, ...rows] = r.stdout.trim().split('\n');
    const cols = (header ?? '').split(':');
    expect(cols.slice(0, 2)).toEqual(['id', 'name']);
    expect(cols[10]).toBe('primary');
    expect(rows).toHaveLength(10);
    const first = Object.fromEntries(cols.map((c, i) => [c, (rows[0] ?? '').split(':')[i]]));
    expect(first).toMatchObject({
      name: REL,
      primary: 'master',
      state: 'consistent_synchronized',
      progress: '',
    });
    const nohdr = await site5.run('lsrcrelationship -nohdr -delim :');
    expect(nohdr.stdout.trim().split('\n')).toEqual(rows);
  });

  it('filters the concise view by name, RC_rel_name, state, group and wildcard', async () => {
    const names = async (filter: string) => {
      const r = await site5.run(`lsrcrelationship -delim : -nohdr -filtervalue ${filter}`);
      expect(r.code).toBe(0);
      return r.stdout
        .trim()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.split(':')[1]);
    };
    expect(await names(`name=${REL}`)).toEqual([REL]);
    expect(await names(`RC_rel_name=${REL}`)).toEqual([REL]);
    expect(await names(`consistency_group_name=${CG}`)).toEqual([
      'rc_san_site5_prod_02',
      'rc_san_site5_prod_04',
    ]);
    expect(await names('name=rc_san_lognes*')).toHaveLength(5);
    expect(await names('state=idling')).toEqual([]);
    expect(await refused(site5, 'lsrcrelationship -filtervalue colour=blue')).toMatch(/^CMMVC5741E/);
    expect(await refused(site5, `lsrcrelationship -filtervalue name=${REL} ${REL}`)).toMatch(/^CMMVC5713E/);
  });

  it('prints the detailed relationship view with the reference keys, progress blank when synchronized', async () => {
    const r = await site5.run(`lsrcrelationship -delim : ${REL}`);
    const keys = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(':')[0]);
    expect(keys).toEqual([
      'id',
      'name',
      'master_cluster_id',
      'master_cluster_name',
      'master_vdisk_id',
      'master_vdisk_name',
      'aux_cluster_id',
      'aux_cluster_name',
      'aux_vdisk_id',
      'aux_vdisk_name',
      'primary',
      'consistency_group_id',
      'consistency_group_name',
      'state',
      'bg_copy_priority',
      'progress',
      'freeze_time',
      'status',
      'sync',
      'copy_type',
      'cycling_mode',
      'cycle_period_seconds',
      'master_change_vdisk_id',
      'master_change_vdisk_name',
      'aux_change_vdisk_id',
      'aux_change_vdisk_name',
    ]);
    expect(detail(r.stdout)).toMatchObject({
      master_cluster_name: 'v7000-site5',
      aux_cluster_name: 'v7000-lognes',
      primary: 'master',
      progress: '',
      status: 'online',
      sync: '',
    });
    const spaced = await site5.run(`lsrcrelationship ${REL}`);
    expect(spaced.stdout).toContain('state consistent_synchronized\n');
  });

  it('lists a group with its members as repeated RC_rel_id / RC_rel_name lines', async () => {
    const r = await lognes.run(`svcinfo lsrcconsistgrp -delim : ${CG}`);
    const lines = r.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('RC_rel_name:'))).toEqual([
      'RC_rel_name:rc_san_site5_prod_02',
      'RC_rel_name:rc_san_site5_prod_04',
    ]);
    expect(lines.filter((l) => l.startsWith('RC_rel_id:'))).toHaveLength(2);
    expect(detail(r.stdout)).toMatchObject({
      state: 'consistent_synchronized',
      relationship_count: '2',
      primary: 'master',
    });
    const concise = await lognes.run('lsrcconsistgrp -delim :');
    expect(concise.stdout.split('\n')[0]).toBe(
      'id:name:master_cluster_id:master_cluster_name:aux_cluster_id:aux_cluster_name:primary:state:relationship_count:copy_type:cycling_mode:freeze_time',
    );
  });

  it('answers lsrcrelationshipprogress and lssystem per array', async () => {
    expect(detail((await site5.run(`lsrcrelationshipprogress -delim : ${REL}`)).stdout)).toEqual({
      id: '0',
      progress: '',
    });
    expect((await site5.run('lsrcrelationshipprogress -delim :')).stdout.split('\n')[0]).toBe('id:progress');
    const a = detail((await site5.run('svcinfo lssystem -delim :')).stdout);
    const b = detail((await lognes.run('lssystem -delim :')).stdout);
    expect(a.name).toBe('v7000-site5');
    expect(b.name).toBe('v7000-lognes');
    expect(a.id).not.toBe(b.id);
  });

  it('accepts both prefixed and bare forms, and refuses a prefix on the wrong kind of command', async () => {
    expect((await site5.run('lsrcrelationship -delim :')).code).toBe(0);
    expect(await refused(site5, 'svctask lsrcrelationship')).toMatch(/^CMMVC6051E/);
    expect(await refused(site5, `svcinfo stoprcrelationship ${REL}`)).toMatch(/^CMMVC6051E/);
    const unknown = await site5.run('rmvdisk -force vdisk0');
    expect(unknown.code).toBe(127);
    expect(unknown.stderr).toContain('command not found');
  });

  it('reports errors as CMMVC messages on stderr with a non-zero status', async () => {
    expect(await refused(site5, 'lsrcrelationship -delim : rc_nope')).toMatch(/^CMMVC5804E/);
    expect(await refused(site5, 'svctask stoprcrelationship rc_nope')).toMatch(/^CMMVC5753E/);
    expect(await refused(site5, 'svctask stoprcrelationship -bogus rc_nope')).toMatch(
      /^CMMVC5709E \[-bogus\]/,
    );
    expect(await refused(site5, 'svctask stoprcrelationship')).toMatch(/^CMMVC5701E/);
    expect(await refused(site5, 'svctask stoprcrelationship 9rc')).toMatch(/^CMMVC5754E/);
    expect(await refused(site5, `svctask switchrcrelationship ${REL}`)).toMatch(/^CMMVC5707E/);
    expect(await refused(site5, `svctask stoprcrelationship ${REL};rmvdisk`)).toMatch(/^rbash/);
  });
});

describe('Storwize stand-in: remote-copy state machine', () => {
  beforeEach(() => startSim());
  afterEach(() => stopSim());

  it('stop freezes a consistent copy; stop -access makes it idling with no primary', async () => {
    await ok(site5, `svctask stoprcrelationship ${REL}`);
    const stopped = await rel(site5, REL);
    expect(stopped).toMatchObject({ state: 'consistent_stopped', primary: 'master', sync: 'in_sync' });
    expect(stopped.freeze_time).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\d{2}\/\d{2}\/\d{2}$/);
    await ok(site5, `svctask stoprcrelationship ${REL}`);
    expect((await rel(site5, REL)).state).toBe('consistent_stopped');
    await ok(lognes, `svctask stoprcrelationship -access ${REL}`);
    expect(await rel(site5, REL)).toMatchObject({ state: 'idling', primary: '', sync: 'in_sync' });
    await ok(site5, `svctask stoprcrelationship -access ${REL}`);
    await ok(site5, `svctask stoprcrelationship ${REL}`);
    expect((await rel(lognes, REL)).state).toBe('idling');
    // From consistent_synchronized straight to idling.
    await ok(lognes, `stoprcrelationship -access ${REL_LOGNES}`);
    expect((await rel(lognes, REL_LOGNES)).state).toBe('idling');
  });

  it('start: idling needs -primary, a written copy needs -force, and a forced start copies to synchronized', async () => {
    await ok(site5, `svctask stoprcrelationship -access ${REL}`);
    expect(await refused(site5, `svctask startrcrelationship ${REL}`)).toMatch(/^CMMVC5963E/);
    sim.control.hostWrite(REL);
    expect((await rel(site5, REL)).sync).toBe('out_of_sync');
    expect(await refused(lognes, `svctask startrcrelationship -primary aux ${REL}`)).toMatch(/^CMMVC5982E/);
    await ok(lognes, `svctask startrcrelationship -primary aux -force ${REL}`);
    const copying = await rel(lognes, REL);
    expect(copying).toMatchObject({ state: 'inconsistent_copying', primary: 'aux', sync: 'out_of_sync' });
    const seen = new Set<number>();
    await until(async () => {
      const r = await rel(site5, REL);
      if (r.progress !== '') seen.add(Number(r.progress));
      return r.state === 'consistent_synchronized';
    });
    expect(seen.size).toBeGreaterThan(1);
    expect(await rel(site5, REL)).toMatchObject({ primary: 'aux', progress: '', sync: '' });
  });

  it('start without -force resumes a synchronized or inconsistent copy, and -primary must match the direction', async () => {
    await ok(site5, `svctask stoprcrelationship ${REL}`);
    expect(await refused(site5, `svctask startrcrelationship -primary aux ${REL}`)).toMatch(/^CMMVC5982E/);
    expect(await refused(site5, `svctask startrcrelationship -clean ${REL}`)).toMatch(/^CMMVC5982E/);
    await ok(site5, `svctask startrcrelationship ${REL}`);
    expect((await rel(site5, REL)).state).toBe('consistent_synchronized');

    await ok(lognes, `stoprcrelationship -access ${HUGE}`);
    await ok(lognes, `startrcrelationship -primary master -force ${HUGE}`);
    expect((await rel(lognes, HUGE)).state).toBe('inconsistent_copying');
    expect(await refused(lognes, `stoprcrelationship -access ${HUGE}`)).toMatch(/^CMMVC5982E/);
    await ok(lognes, `stoprcrelationship ${HUGE}`);
    expect((await rel(lognes, HUGE)).state).toBe('inconsistent_stopped');
    expect(await refused(lognes, `stoprcrelationship -access ${HUGE}`)).toMatch(/^CMMVC5982E/);
    await ok(lognes, `startrcrelationship ${HUGE}`);
    expect((await rel(lognes, HUGE)).state).toBe('inconsistent_copying');
  });

  it('switch only when synchronized; naming the current primary changes nothing', async () => {
    await ok(site5, `svctask switchrcrelationship -primary master ${REL}`);
    expect((await rel(site5, REL)).primary).toBe('master');
    await ok(lognes, `svctask switchrcrelationship -primary aux ${REL}`);
    expect(await rel(site5, REL)).toMatchObject({ state: 'consistent_synchronized', primary: 'aux' });

    await ok(site5, `svctask stoprcrelationship ${REL}`);
    await ok(site5, `svctask switchrcrelationship -primary master ${REL}`);
    expect(await rel(site5, REL)).toMatchObject({ state: 'consistent_synchronized', primary: 'master' });

    await ok(site5, `svctask stoprcrelationship ${REL}`);
    sim.control.hostWrite(REL);
    expect(await refused(site5, `svctask switchrcrelationship -primary aux ${REL}`)).toMatch(/^CMMVC5982E/);

    await ok(lognes, `stoprcrelationship -access ${HUGE}`);
    await ok(lognes, `switchrcrelationship -primary aux ${HUGE}`);
    expect((await rel(lognes, HUGE)).primary).toBe('aux');
    await ok(lognes, `stoprcrelationship -access ${HUGE}`);
    await ok(lognes, `startrcrelationship -primary master -force ${HUGE}`);
    expect(await refused(lognes, `switchrcrelationship -primary aux ${HUGE}`)).toMatch(/^CMMVC5982E/);
  });

  it('drives a consistency group with the rcconsistgrp forms and refuses the stand-alone ones on members', async () => {
    expect(await refused(site5, 'svctask stoprcrelationship rc_san_site5_prod_02')).toMatch(/^CMMVC5937E/);
    expect(await refused(site5, 'svctask switchrcrelationship -primary aux rc_san_site5_prod_04')).toMatch(
      /^CMMVC5937E/,
    );
    await ok(lognes, `svctask switchrcconsistgrp -primary aux ${CG}`);
    for (const member of ['rc_san_site5_prod_02', 'rc_san_site5_prod_04']) {
      expect(await rel(site5, member)).toMatchObject({ state: 'consistent_synchronized', primary: 'aux' });
    }
    await ok(site5, `svctask stoprcconsistgrp -access ${CG}`);
    const group = detail((await site5.run(`lsrcconsistgrp -delim : ${CG}`)).stdout);
    expect(group).toMatchObject({ state: 'idling', primary: '', sync: 'in_sync' });
    sim.control.hostWrite(CG);
    expect(await refused(site5, `svctask startrcconsistgrp -primary master ${CG}`)).toMatch(/^CMMVC5982E/);
    await ok(site5, `svctask startrcconsistgrp -primary master -force ${CG}`);
    expect((await rel(site5, 'rc_san_site5_prod_04')).state).toBe('inconsistent_copying');
    await until(
      async () =>
        detail((await site5.run(`lsrcconsistgrp -delim : ${CG}`)).stdout).state === 'consistent_synchronized',
    );
  });

  it('shows each half while the link is down; stop -access on the secondary gives access there', async () => {
    sim.control.setLinkDown(true, REL);
    expect(await rel(site5, REL)).toMatchObject({
      state: 'idling_disconnected',
      status: 'io_channel_offline',
    });
    expect(await rel(lognes, REL)).toMatchObject({ state: 'consistent_disconnected', primary: 'master' });
    expect(await refused(lognes, `svctask stoprcrelationship ${REL}`)).toMatch(/^CMMVC5982E/);
    expect(await refused(lognes, `svctask switchrcrelationship -primary aux ${REL}`)).toMatch(/^CMMVC5982E/);
    expect(await refused(lognes, `svctask startrcrelationship -primary aux -force ${REL}`)).toMatch(
      /^CMMVC5982E/,
    );
    await ok(lognes, `svctask stoprcrelationship -access ${REL}`);
    expect(await rel(lognes, REL)).toMatchObject({ state: 'idling_disconnected', primary: '' });
    expect(sim.control.relationship(REL).writableSites.sort()).toEqual(['lognes', 'site5']);
    sim.control.setLinkDown(false, REL);
    expect(await rel(site5, REL)).toMatchObject({ state: 'idling', sync: 'out_of_sync' });

    sim.control.setLinkDown(true);
    expect((await rel(lognes, REL_LOGNES)).state).toBe('idling_disconnected');
    expect((await rel(site5, REL_LOGNES)).state).toBe('consistent_disconnected');
    sim.control.setLinkDown(false);
    expect(await rel(site5, REL_LOGNES)).toMatchObject({ state: 'consistent_stopped', sync: 'in_sync' });
  });
});

describe('Storwize stand-in: SSH', () => {
  afterEach(() => stopSim());

  it('pins a host key whose SHA-256 fingerprint is the one announced, per array or shared', async () => {
    await startSim();
    let seen = '';
    const refusal = await new Promise<Error>((resolve) => {
      const c = new ssh2.Client();
      c.on('error', resolve);
      c.connect({
        host: '127.0.0.1',
        port: sim.arrays[1]?.port as number,
        username: USER,
        password: PASSWORD,
        hostVerifier: (key: Buffer) => {
          seen = `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
          return false;
        },
      });
    });
    expect(refusal.message).toMatch(/verification failed/);
    expect(seen).toBe(sim.arrays[1]?.hostKeySha256);
    expect(sim.arrays[0]?.hostKeySha256).not.toBe(sim.arrays[1]?.hostKeySha256);
    await stopSim();
    const pem = ed25519KeyPair().private;
    await startSim({ hostKeyPem: pem });
    expect(sim.arrays[0]?.hostKeySha256).toBe(sim.arrays[1]?.hostKeySha256);
  });

  it('takes a public key as well as the password, and refuses a wrong password or key', async () => {
    const key = ed25519KeyPair();
    await startSim({ publicKey: key.public });
    const port = sim.arrays[0]?.port as number;
    const withKey = await Cli.open(port, { privateKey: key.private });
    expect((await withKey.run('lssystem -delim :')).code).toBe(0);
    withKey.close();
    await expect(Cli.open(port, { password: 'wrong' })).rejects.toThrow(/authentication methods failed/);
    const other = ed25519KeyPair();
    await expect(Cli.open(port, { privateKey: other.private })).rejects.toThrow(
      /authentication methods failed/,
    );
    await expect(Cli.open(port, { username: 'admin', password: PASSWORD })).rejects.toThrow(
      /authentication methods failed/,
    );
  });

  it('refuses an interactive shell with a message, and a pseudo-terminal', async () => {
    await startSim();
    const r = await site5.shell();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/one command per exec/);
    expect((await site5.runWithPty('lssystem')).message).toMatch(/pseudo-terminal|pty/i);
  });

  it('cuts the connection after or before running a command, and logs every command', async () => {
    await startSim();
    sim.control.dropConnections(1, { when: 'after', verb: 'stoprcrelationship' });
    expect((await site5.run('lssystem -delim :')).code).toBe(0);
    const cut = await site5.run(`svctask stoprcrelationship ${REL}`);
    expect(cut.code).toBeNull();
    expect(sim.control.relationship(REL).views.master.state).toBe('consistent_stopped');

    const again = await Cli.open(sim.arrays[0]?.port as number);
    sim.control.dropConnections(1, { when: 'before', array: 'v7000-site5' });
    expect((await again.run(`svctask stoprcrelationship -access ${REL}`)).code).toBeNull();
    expect(sim.control.relationship(REL).views.master.state).toBe('consistent_stopped');
    again.close();

    const log = sim.control.commands();
    expect(log.map((c) => [c.array, c.verb, c.outcome])).toEqual([
      ['v7000-site5', 'lssystem', 0],
      ['v7000-site5', 'stoprcrelationship', 'dropped'],
      ['v7000-site5', 'stoprcrelationship', 'dropped'],
    ]);
    sim.control.clearCommands();
    expect(sim.control.commands()).toEqual([]);
  });
});

describe('Storwize stand-in: vcsim presentation', () => {
  let certs: TestCerts;
  let vcsim: Server;
  let calls: Array<{ path: string; body: unknown }>;
  /** The next request to this path answers 500. */
  let failPath: string | null = null;

  beforeAll(async () => {
    certs = await makeTestCerts();
    vcsim = createServer({ cert: certs.certPem, key: certs.keyPem }, (req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => {
        body += d.toString();
      });
      req.on('end', () => {
        if (req.url === failPath) {
          failPath = null;
          res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"datastore busy"}');
          return;
        }
        calls.push({ path: req.url ?? '', body: JSON.parse(body) });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => vcsim.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => vcsim.close(() => resolve()));
    await certs.cleanup();
  });

  beforeEach(async () => {
    calls = [];
    const addr = vcsim.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    await startSim({ vcsim: { controlUrl: `https://127.0.0.1:${port}/lab`, caPem: certs.caPem } });
  });

  afterEach(() => stopSim());

  it('tells vcsim when the writable side changes, and nothing when it does not', async () => {
    await ok(lognes, `svctask switchrcrelationship -primary aux ${REL}`);
    expect(calls).toEqual([
      { path: '/lab/storage/unpresent', body: { datastore: 'SAN-SITE5-PROD-01', site: 'site5' } },
      { path: '/lab/storage/present', body: { datastore: 'SAN-SITE5-PROD-01', site: 'lognes' } },
    ]);
    calls = [];
    await ok(lognes, `svctask stoprcrelationship ${REL}`);
    expect(calls).toEqual([]);
    await ok(lognes, `svctask stoprcconsistgrp -access ${CG}`);
    expect(calls).toEqual([
      { path: '/lab/storage/present', body: { datastore: 'SAN-SITE5-PROD-02', site: 'lognes' } },
      { path: '/lab/storage/present', body: { datastore: 'SAN-SITE5-PROD-04', site: 'lognes' } },
    ]);
  });

  it('fails the CLI command and leaves the state when vcsim refuses, undoing the calls already made', async () => {
    // The unpresent goes through, the present fails: the unpresent is undone.
    failPath = '/lab/storage/present';
    const msg = await refused(lognes, `svctask switchrcrelationship -primary aux ${REL}`);
    expect(msg).toMatch(
      /^CMMVC9999E .*present SAN-SITE5-PROD-01 on lognes: vcsim POST \/storage\/present answered 500/,
    );
    expect(calls).toEqual([
      { path: '/lab/storage/unpresent', body: { datastore: 'SAN-SITE5-PROD-01', site: 'site5' } },
      { path: '/lab/storage/present', body: { datastore: 'SAN-SITE5-PROD-01', site: 'site5' } },
    ]);
    expect(await rel(site5, REL)).toMatchObject({ state: 'consistent_synchronized', primary: 'master' });
  });
});
