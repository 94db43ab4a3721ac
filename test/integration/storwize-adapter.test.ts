import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LabModel } from '../../lab/model.js';
import { ed25519KeyPair, type StorwizeSim, startStorwizeSim } from '../../lab/storwize/index.js';
import type { ActionProgress } from '../../src/adapters/replication/types.js';
import {
  createStorwizeAdapter,
  type StorwizeAdapter,
  StorwizeError,
  type StorwizeErrorCode,
  type StorwizeSecret,
} from '../../src/adapters/storwize/index.js';
import type { StorwizeArrayConfig } from '../../src/config/schema.js';
import type { ProtectedUnit } from '../../src/domain/replication.js';
import { arrayConfigs, Cli, PASSWORD, testModel, USER, unitOf, until } from './storwize-helpers.js';

// The adapter against the SSH stand-in: real SSH, real CLI text, the remote-copy state machine.
// What the adapter sends is checked in the stand-in's command log.

const timings = {
  pollIntervalMs: 20,
  commandTimeoutMs: 5_000,
  connectTimeoutMs: 5_000,
  keepaliveIntervalMs: 5_000,
};

let sim: StorwizeSim;
let model: LabModel;
let adapter: StorwizeAdapter;
const extra: StorwizeAdapter[] = [];
let rel: ProtectedUnit; // SAN-SITE5-PROD-01, master on site5
let group: ProtectedUnit; // cg_san_site5_prod_02, two members, master on site5
let huge: ProtectedUnit; // SAN-LOGNES-PROD-05, master on lognes, 1 PB to resync

function secrets(secret: StorwizeSecret = { password: PASSWORD }): Record<string, StorwizeSecret> {
  return Object.fromEntries(sim.arrays.map((a) => [a.name, secret]));
}

function makeAdapter(
  o: { arrays?: StorwizeArrayConfig[]; secret?: StorwizeSecret; timings?: Record<string, number> } = {},
) {
  const a = createStorwizeAdapter({
    arrays: o.arrays ?? arrayConfigs(sim),
    secrets: secrets(o.secret),
    timings: { ...timings, ...o.timings },
  });
  extra.push(a);
  return a;
}

async function startAll(options: { publicKey?: string } = {}) {
  model = testModel();
  sim = await startStorwizeSim({ model, user: USER, password: PASSWORD, timeScale: 0.01, ...options });
  adapter = makeAdapter();
  rel = unitOf(model, 'SAN-SITE5-PROD-01', 'relationship');
  group = unitOf(model, 'SAN-SITE5-PROD-02', 'consistency-group');
  huge = unitOf(model, 'SAN-LOGNES-PROD-05', 'relationship');
}

/** Runs commands as an operator would on the array, to set a scene. */
async function operator(array: 0 | 1, ...commands: string[]) {
  const cli = await Cli.open(sim.arrays[array]?.port as number);
  try {
    for (const c of commands) expect((await cli.run(c)).code).toBe(0);
  } finally {
    cli.close();
  }
}

function stateChanging() {
  return sim.control.commands().filter((c) => /^(start|stop|switch)rc/.test(c.verb));
}

async function failure(p: Promise<unknown>, code: StorwizeErrorCode): Promise<StorwizeError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StorwizeError);
  const e = err as StorwizeError;
  expect(e.code, e.message).toBe(code);
  expect(e.hint).toBeTruthy();
  return e;
}

beforeEach(() => startAll());

afterEach(async () => {
  await Promise.all(extra.splice(0).map((a) => a.close()));
  sim.control.setCommandDelay(0);
  await sim.stop();
});

describe('Storwize adapter: status', () => {
  it('reports a relationship and a consistency group in sync on their home site', async () => {
    expect(await adapter.status(rel)).toEqual({
      unitId: 'SAN-SITE5-PROD-01',
      primarySite: 'site5',
      health: 'in-sync',
      progressPercent: null,
      lagSeconds: null,
      raw: 'consistent_synchronized',
    });
    expect(await adapter.status(group)).toMatchObject({ primarySite: 'site5', health: 'in-sync' });
    expect(await adapter.status(huge)).toMatchObject({ primarySite: 'lognes', health: 'in-sync' });
  });

  it('keeps one SSH connection per array and reads the system identity once', async () => {
    for (let i = 0; i < 3; i++) await adapter.status(rel);
    await Promise.all([adapter.status(group), adapter.status(rel), adapter.status(group)]);
    expect(sim.control.stats().logins).toEqual({ 'v7000-site5': 1 });
    expect(sim.control.commands().filter((c) => c.verb === 'lssystem')).toHaveLength(1);
  });

  it('never runs more commands at once on an array than maxConcurrentCommands', async () => {
    const arrays = arrayConfigs(sim).map((a) => ({ ...a, maxConcurrentCommands: 2 }));
    const a = makeAdapter({ arrays });
    await a.status(rel);
    sim.control.resetStats();
    sim.control.setCommandDelay(20);
    await Promise.all(Array.from({ length: 6 }, () => a.status(rel)));
    expect(sim.control.stats().peakConcurrentCommands['v7000-site5']).toBe(2);
  });

  it('reads from the partner array when the home array does not answer', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const addr = s.address();
        s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 1));
      });
    });
    const arrays = arrayConfigs(sim).map((a) => (a.site === 'site5' ? { ...a, port: closedPort } : a));
    const status = await makeAdapter({ arrays }).status(rel);
    expect(status).toMatchObject({ primarySite: 'site5', health: 'in-sync' });
    expect(sim.control.commands().every((c) => c.array === 'v7000-lognes')).toBe(true);
  });

  it('maps a missing object to STORWIZE_NOT_FOUND', async () => {
    const e = await failure(
      adapter.status({ ...rel, ref: { kind: 'relationship', name: 'rc_gone' } }),
      'STORWIZE_NOT_FOUND',
    );
    expect(e.retryable).toBe(false);
    expect(e.message).toContain('CMMVC5804E');
  });

  it('refuses a name with shell metacharacters before anything is sent', async () => {
    for (const name of [
      'rc_a;svctask rmvdisk 0',
      'rc_$(reboot)',
      'rc a',
      '-rc',
      '1rc',
      'rc`id`',
      'x'.repeat(64),
    ]) {
      await failure(
        adapter.switchover({ ...rel, ref: { kind: 'relationship', name } }, 'lognes'),
        'STORWIZE_INVALID_NAME',
      );
    }
    expect(sim.control.commands()).toEqual([]);
    expect(sim.control.stats().logins).toEqual({});
  });
});

describe('Storwize adapter: switchover', () => {
  it('switches a synchronized relationship, and a second call is a no-op', async () => {
    const status = await adapter.switchover(rel, 'lognes');
    expect(status).toMatchObject({
      primarySite: 'lognes',
      health: 'in-sync',
      raw: 'consistent_synchronized',
    });
    expect(stateChanging().map((c) => [c.array, c.command])).toEqual([
      ['v7000-lognes', 'svctask switchrcrelationship -primary aux rc_san_site5_prod_01'],
    ]);
    expect(sim.control.relationship('rc_san_site5_prod_01').writableSites).toEqual(['lognes']);

    sim.control.clearCommands();
    expect(await adapter.switchover(rel, 'lognes')).toEqual(status);
    expect(sim.control.commands().length).toBeGreaterThan(0);
    expect(stateChanging()).toEqual([]);

    expect(await adapter.switchover(rel, 'site5')).toMatchObject({ primarySite: 'site5', health: 'in-sync' });
  });

  it('switches a consistency group with the group command', async () => {
    const status = await adapter.switchover(group, 'lognes');
    expect(status).toMatchObject({ primarySite: 'lognes', health: 'in-sync' });
    expect(stateChanging().map((c) => c.command)).toEqual([
      'svctask switchrcconsistgrp -primary aux cg_san_site5_prod_02',
    ]);
    for (const member of ['rc_san_site5_prod_02', 'rc_san_site5_prod_04']) {
      expect(sim.control.relationship(member).views.aux.primary).toBe('aux');
    }
  });

  it('refuses when the unit is not synchronized, with the state seen, and sends nothing', async () => {
    await operator(0, 'svctask stoprcrelationship rc_san_site5_prod_01');
    sim.control.hostWrite('rc_san_site5_prod_01');
    sim.control.clearCommands();
    const e = await failure(adapter.switchover(rel, 'lognes'), 'STORWIZE_WRONG_STATE');
    expect(e.retryable).toBe(false);
    expect(e.details).toMatchObject({ state: 'consistent_stopped', inSync: false, primarySite: 'site5' });
    expect(e.message).toContain('consistent_stopped, out_of_sync');
    expect(stateChanging()).toEqual([]);
  });

  it('refuses, even with force, while the copy toward the target is inconsistent', async () => {
    await operator(1, 'stoprcrelationship -access rc_san_lognes_prod_05');
    sim.control.hostWrite('rc_san_lognes_prod_05');
    await operator(1, 'startrcrelationship -primary master -force rc_san_lognes_prod_05');
    sim.control.clearCommands();
    const e = await failure(adapter.switchover(huge, 'site5', { allowForce: true }), 'STORWIZE_WRONG_STATE');
    expect(e.details).toMatchObject({ state: 'inconsistent_copying', primarySite: 'lognes' });
    expect(stateChanging()).toEqual([]);
  });

  it('with allowForce, takes the stop -access / start -force path and reports the copy', async () => {
    await operator(0, 'svctask stoprcrelationship rc_san_site5_prod_01');
    sim.control.hostWrite('rc_san_site5_prod_01');
    sim.control.clearCommands();
    const progress: ActionProgress[] = [];
    const status = await adapter.switchover(rel, 'lognes', {
      allowForce: true,
      onProgress: (p) => progress.push(p),
    });
    expect(status).toMatchObject({ primarySite: 'lognes', health: 'in-sync' });
    expect(stateChanging().map((c) => c.command)).toEqual([
      'svctask stoprcrelationship -access rc_san_site5_prod_01',
      'svctask startrcrelationship -primary aux -force rc_san_site5_prod_01',
    ]);
    const copying = progress.filter((p) => p.status?.health === 'copying');
    expect(copying.length).toBeGreaterThan(1);
    expect(copying.at(-1)?.message).toMatch(/^copying rc_san_site5_prod_01 from lognes to site5: \d+%$/);
  });

  it('refuses a stand-alone relationship that belongs to a consistency group', async () => {
    const member = unitOf(model, 'SAN-SITE5-PROD-04', 'relationship');
    const e = await failure(adapter.switchover(member, 'lognes'), 'STORWIZE_IN_CONSISTENCY_GROUP');
    expect(e.hint).toContain('consistencyGroup: cg_san_site5_prod_02');
    expect(stateChanging()).toEqual([]);
  });

  it('refuses while the link is down, as something to retry', async () => {
    sim.control.setLinkDown(true, 'rc_san_site5_prod_01');
    const e = await failure(adapter.switchover(rel, 'lognes'), 'STORWIZE_DISCONNECTED');
    expect(e.retryable).toBe(true);
    expect(e.details).toMatchObject({ state: 'consistent_disconnected' });
  });
});

describe('Storwize adapter: failover and resync', () => {
  it('fails over on the surviving array only, idempotently, then resyncs from it', async () => {
    sim.control.setLinkDown(true, 'rc_san_site5_prod_01');
    const status = await adapter.failover(rel, 'lognes');
    expect(status).toMatchObject({ health: 'disconnected', raw: 'idling_disconnected', primarySite: null });
    expect(sim.control.commands().every((c) => c.array === 'v7000-lognes')).toBe(true);
    expect(stateChanging().map((c) => c.command)).toEqual([
      'svctask stoprcrelationship -access rc_san_site5_prod_01',
    ]);
    expect(sim.control.relationship('rc_san_site5_prod_01').writableSites.sort()).toEqual([
      'lognes',
      'site5',
    ]);

    sim.control.clearCommands();
    expect(await adapter.failover(rel, 'lognes')).toEqual(status);
    expect(stateChanging()).toEqual([]);

    sim.control.setLinkDown(false, 'rc_san_site5_prod_01');
    await failure(adapter.resync(rel), 'STORWIZE_WRONG_STATE');
    sim.control.clearCommands();
    const progress: ActionProgress[] = [];
    const synced = await adapter.resync(rel, { primarySite: 'lognes', onProgress: (p) => progress.push(p) });
    expect(synced).toMatchObject({ primarySite: 'lognes', health: 'in-sync' });
    expect(stateChanging().map((c) => c.command)).toEqual([
      'svctask startrcrelationship -primary aux -force rc_san_site5_prod_01',
    ]);
    expect(progress.some((p) => p.percent !== null)).toBe(true);
  });

  it('fails over a connected unit with stop -access', async () => {
    const status = await adapter.failover(group, 'lognes');
    expect(status).toMatchObject({ health: 'idling', raw: 'idling' });
    expect(stateChanging().map((c) => c.command)).toEqual([
      'svctask stoprcconsistgrp -access cg_san_site5_prod_02',
    ]);
  });

  it('refuses to fail over to an inconsistent replica', async () => {
    await operator(1, 'stoprcrelationship -access rc_san_lognes_prod_05');
    sim.control.hostWrite('rc_san_lognes_prod_05');
    await operator(1, 'startrcrelationship -primary master -force rc_san_lognes_prod_05');
    sim.control.setLinkDown(true, 'rc_san_lognes_prod_05');
    const e = await failure(adapter.failover(huge, 'site5'), 'STORWIZE_WRONG_STATE');
    expect(e.details).toMatchObject({ state: 'inconsistent_disconnected' });
  });

  it('resyncs a stopped, written relationship with -force and reports rising progress', async () => {
    await operator(0, 'svctask stoprcrelationship rc_san_site5_prod_01');
    sim.control.hostWrite('rc_san_site5_prod_01');
    sim.control.clearCommands();
    const percents: number[] = [];
    const status = await adapter.resync(rel, {
      onProgress: (p) => {
        if (p.percent !== null) percents.push(p.percent);
      },
    });
    expect(status).toMatchObject({ primarySite: 'site5', health: 'in-sync' });
    expect(stateChanging().map((c) => c.command)).toEqual([
      'svctask startrcrelationship -primary master -force rc_san_site5_prod_01',
    ]);
    expect(new Set(percents).size).toBeGreaterThan(1);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    sim.control.clearCommands();
    await adapter.resync(rel);
    expect(stateChanging()).toEqual([]);
  });

  it('stops waiting when cancelled, and when its time is up', async () => {
    await operator(1, 'stoprcrelationship rc_san_lognes_prod_05');
    sim.control.hostWrite('rc_san_lognes_prod_05');
    const controller = new AbortController();
    const cancelled = adapter.resync(huge, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.status?.health === 'copying') controller.abort();
      },
    });
    await failure(cancelled, 'STORWIZE_ABORTED');
    const e = await failure(adapter.resync(huge, { timeoutMs: 100 }), 'STORWIZE_TIMEOUT');
    expect(e.retryable).toBe(true);
    expect(e.details).toMatchObject({ state: 'inconsistent_copying' });
  });
});

describe('Storwize adapter: connections', () => {
  it('does not re-send a switch whose connection dropped after it ran', async () => {
    await adapter.status(rel);
    sim.control.dropConnections(1, { verb: 'switchrcrelationship', when: 'after' });
    const status = await adapter.switchover(rel, 'lognes');
    expect(status).toMatchObject({ primarySite: 'lognes', health: 'in-sync' });
    expect(stateChanging().map((c) => c.outcome)).toEqual(['dropped']);
    expect(sim.control.stats().logins['v7000-lognes']).toBe(2);
  });

  it('sends the switch again only after reading that it did not run', async () => {
    sim.control.dropConnections(1, { verb: 'switchrcrelationship', when: 'before' });
    const status = await adapter.switchover(rel, 'lognes');
    expect(status).toMatchObject({ primarySite: 'lognes', health: 'in-sync' });
    const verbs = sim.control.commands().map((c) => `${c.verb}:${c.outcome}`);
    const first = verbs.indexOf('switchrcrelationship:dropped');
    expect(first).toBeGreaterThan(-1);
    expect(verbs.slice(first + 1)).toEqual([
      'lsrcrelationship:0',
      'switchrcrelationship:0',
      'lsrcrelationship:0',
    ]);
  });

  it('retries a read once on a new connection', async () => {
    await adapter.status(rel);
    sim.control.clearCommands();
    sim.control.dropConnections(1, { verb: 'lsrcrelationship' });
    expect(await adapter.status(rel)).toMatchObject({ health: 'in-sync' });
    expect(sim.control.commands().map((c) => c.outcome)).toEqual(['dropped', 0]);
  });

  it('refuses an array whose host key is not the pinned one', async () => {
    const [a, b] = arrayConfigs(sim);
    const swapped = [
      { ...(a as StorwizeArrayConfig), hostKeySha256: (b as StorwizeArrayConfig).hostKeySha256 },
      b as StorwizeArrayConfig,
    ];
    const e = await failure(makeAdapter({ arrays: swapped }).status(rel), 'STORWIZE_HOST_KEY_MISMATCH');
    expect(e.retryable).toBe(false);
    expect(e.details).toMatchObject({
      seen: sim.arrays[0]?.hostKeySha256,
      expected: sim.arrays[1]?.hostKeySha256,
    });
    expect(sim.control.commands()).toEqual([]);
  });

  it('logs in with a private key; a wrong password is an auth error', async () => {
    const key = ed25519KeyPair();
    await sim.stop();
    await startAll({ publicKey: key.public });
    expect(await makeAdapter({ secret: { privateKey: key.private } }).status(rel)).toMatchObject({
      health: 'in-sync',
    });
    const e = await failure(
      makeAdapter({ secret: { password: 'not-it' } }).switchover(rel, 'lognes'),
      'STORWIZE_AUTH',
    );
    expect(e.retryable).toBe(false);
    expect(e.message).not.toContain('not-it');
  });

  it('times a command out as a retryable error', async () => {
    const slow = makeAdapter({ timings: { commandTimeoutMs: 50 } });
    sim.control.setCommandDelay(200);
    const e = await failure(slow.switchover(rel, 'lognes'), 'STORWIZE_TIMEOUT');
    expect(e.retryable).toBe(true);
    sim.control.setCommandDelay(0);
    await until(() => sim.control.commands().every((c) => c.outcome !== 'pending'));
    expect(stateChanging()).toEqual([]);
  });
});
