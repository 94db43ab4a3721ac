import { describe, expect, it } from 'vitest';
import { parseCommand, usages } from '../../src/domain/command-grammar.js';
import { UsageError } from '../../src/domain/errors.js';
import {
  FENCED_STEP_KINDS,
  type FencingProbe,
  fencingFinding,
  fencingVerdict,
  vcenterProbes,
} from '../../src/domain/fencing.js';
import type { Inventory } from '../../src/domain/inventory.js';
import {
  approvalsNeeded,
  distinctApprovers,
  fencingRefusal,
  runFencingOf,
} from '../../src/jobs/run/fencing-guard.js';
import type { RunRecord } from '../../src/jobs/run/types.js';
import { InventoryBuilder } from '../support/inventory-builder.js';

// The failover fencing guard's pure parts: probe results → verdict → preflight finding, vCenter's
// view of a dark room, the --override-fencing flag, and what a run record must hold to start.

const probe = (target: string, outcome: FencingProbe['outcome']): FencingProbe => ({
  target,
  outcome,
  detail: outcome,
});

describe('fencing verdict', () => {
  it('is fenced only when every probe is silent', () => {
    const v = fencingVerdict([probe('host esx-1', 'silent'), probe('storwize v7000-site5', 'silent')]);
    expect(v.verdict).toBe('fenced');
    expect(fencingFinding(v, 'site5', false)).toMatchObject({ code: 'FENCING_CONFIRMED', severity: 'info' });
  });

  it('lists what answered, and answering wins over unknown', () => {
    const v = fencingVerdict([
      probe('host esx-1', 'answers'),
      probe('dsm dsm-1 Storage Center SC-5', 'unknown'),
      probe('storwize v7000-site5', 'answers'),
    ]);
    expect(v).toMatchObject({ verdict: 'source-answers', answered: ['host esx-1', 'storwize v7000-site5'] });
  });

  it('is unknown when nothing answered but some probe could not be made', () => {
    const v = fencingVerdict([probe('host esx-1', 'silent'), probe('zerto zvm-site5', 'unknown')]);
    expect(v).toMatchObject({ verdict: 'unknown', unknown: ['zerto zvm-site5'] });
    expect(fencingFinding(v, 'site5', false)).toMatchObject({ code: 'FENCING_UNKNOWN', severity: 'warn' });
  });

  it('blocks when the source answers, saying to power off, use /migrate, or override with two approvers', () => {
    const v = fencingVerdict([probe('storwize v7000-site5', 'answers')]);
    const f = fencingFinding(v, 'site5', false);
    expect(f).toMatchObject({ code: 'FENCING_SOURCE_ANSWERS', severity: 'block' });
    expect(f.message).toContain('storwize v7000-site5');
    expect(f.fix).toMatch(/\/migrate/);
    expect(f.fix).toMatch(/power its hosts/);
    expect(f.fix).toMatch(/--override-fencing, which needs 2 approvers/);
  });

  it('an override turns the blocking finding into a warning that names the two approvers needed', () => {
    const f = fencingFinding(fencingVerdict([probe('host esx-1', 'answers')]), 'site5', true);
    expect(f).toMatchObject({ code: 'FENCING_SOURCE_ANSWERS', severity: 'warn' });
    expect(f.fix).toMatch(/2 approvers other than the requester/);
  });

  it('guards the steps that make replicas writable or start VMs, not the others', () => {
    expect(FENCED_STEP_KINDS).toEqual(
      expect.arrayContaining(['make-replica-writable', 'zerto-failover', 'power-on-vms']),
    );
    expect(FENCED_STEP_KINDS).not.toContain('unregister-vms');
    expect(FENCED_STEP_KINDS).not.toContain('verify');
  });
});

describe("vCenter's view of the source", () => {
  function world(state: {
    hosts: 'connected' | 'notResponding';
    vms: 'connected' | 'disconnected';
  }): Inventory {
    return new InventoryBuilder()
      .site('site5', 2, { connectionState: state.hosts })
      .site('lognes', 2)
      .datastore('DS-5', { mountedOn: ['site5'] })
      .vm('app-01', { host: 'esx-site5-01', datastores: ['DS-5'], connectionState: state.vms })
      .vm('app-02', { host: 'esx-site5-02', datastores: ['DS-5'], power: 'poweredOff' })
      .vm('other', { host: 'esx-lognes-01', datastores: ['DS-5'] })
      .build();
  }
  const ids = (inv: Inventory) => {
    const site5 = new Set(inv.hosts.filter((h) => h.name.startsWith('esx-site5')).map((h) => h.id));
    return { site5, vms: new Set(inv.vms.map((v) => v.id)) };
  };

  it('a room that is up answers through its connected hosts and running VMs', () => {
    const inv = world({ hosts: 'connected', vms: 'connected' });
    const { site5, vms } = ids(inv);
    expect(inv.hosts.filter((h) => site5.has(h.id))).toHaveLength(2);
    const v = fencingVerdict(vcenterProbes(inv, site5, vms));
    expect(v.verdict).toBe('source-answers');
    if (v.verdict !== 'source-answers') return;
    expect(v.answered).toEqual(['host esx-site5-01', 'host esx-site5-02', 'vm app-01']);
  });

  it('a dark room (hosts not responding, VMs disconnected) is silent, and VMs elsewhere are not asked', () => {
    const inv = world({ hosts: 'notResponding', vms: 'disconnected' });
    const { site5, vms } = ids(inv);
    const probes = vcenterProbes(inv, site5, vms);
    expect(fencingVerdict(probes).verdict).toBe('fenced');
    expect(probes.map((p) => p.target)).not.toContain('vm other');
    expect(probes.find((p) => p.target === 'vm app-01')?.detail).toMatch(/poweredOn, disconnected/);
  });
});

describe('--override-fencing in the shared grammar', () => {
  const ctx = { sites: ['site5', 'lognes'], units: ['SAN-SITE5-PROD-01'] };

  it('is off by default and on with the flag', () => {
    expect(parseCommand('/failover', 'site5 --to lognes', ctx)).toMatchObject({ overrideFencing: false });
    expect(parseCommand('/failover', 'site5 --override-fencing', ctx)).toMatchObject({
      verb: 'failover',
      to: 'lognes',
      overrideFencing: true,
    });
    expect(usages.failover).toContain('[--override-fencing | --test]');
  });

  it('takes no value and is refused on other commands, with the usage', () => {
    expect(() => parseCommand('/failover', 'site5 --override-fencing=yes', ctx)).toThrow(
      /--override-fencing takes no value/,
    );
    const err = (() => {
      try {
        parseCommand('/migrate', 'site5 --to lognes --override-fencing', ctx);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toBe('unknown option --override-fencing');
    expect((err as UsageError).hint).toContain(usages.migrate);
  });
});

describe('what a failover run record needs to start', () => {
  function run(over: Partial<RunRecord>): RunRecord {
    return {
      id: 'r1',
      kind: 'failover',
      from: 'site5',
      to: 'lognes',
      requestedBy: 'alice',
      approvals: [],
      planHash: 'h',
      status: 'awaiting-approval',
      stopOnFailure: false,
      haltedBy: null,
      generation: 0,
      createdAt: '',
      startedAt: null,
      endedAt: null,
      error: null,
      units: {},
      unitOrder: [],
      version: 1,
      ...over,
    };
  }
  const answers = fencingVerdict([probe('host esx-1', 'answers')]);
  const at = '2030-01-01T00:00:00Z';

  it('an override needs two approvers whatever approvals.required says, more when it says more', () => {
    expect(approvalsNeeded(1, runFencingOf(answers, true))).toBe(2);
    expect(approvalsNeeded(3, runFencingOf(answers, true))).toBe(3);
    expect(approvalsNeeded(1, runFencingOf(answers, false))).toBe(1);
    expect(approvalsNeeded(1, null)).toBe(1);
  });

  it('refuses a source that answered without override, and an override with fewer than two others', () => {
    expect(fencingRefusal(run({ fencing: runFencingOf(answers, false) }))?.code).toBe(
      'FENCING_SOURCE_ANSWERS',
    );
    const overridden = runFencingOf(answers, true);
    // The requester's own approval and a repeated one do not count.
    const weak = run({
      fencing: overridden,
      approvals: [
        { user: 'alice', at },
        { user: 'bob', at },
        { user: 'bob', at },
      ],
    });
    expect(distinctApprovers(weak)).toEqual(['bob']);
    expect(fencingRefusal(weak)?.code).toBe('FENCING_OVERRIDE_APPROVALS');
    const ok = run({
      fencing: overridden,
      approvals: [
        { user: 'bob', at },
        { user: 'carol', at },
      ],
    });
    expect(fencingRefusal(ok)).toBeNull();
    expect(fencingRefusal(run({ fencing: runFencingOf(fencingVerdict([]), false) }))).toBeNull();
    expect(fencingRefusal(run({ kind: 'migrate', fencing: runFencingOf(answers, false) }))).toBeNull();
  });
});
