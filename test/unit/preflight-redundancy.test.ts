import { describe, expect, it } from 'vitest';
import { runPreflight } from '../../src/domain/preflight/run-preflight.js';
import type { Finding, PreflightResult } from '../../src/domain/preflight/types.js';
import { InventoryBuilder } from '../support/inventory-builder.js';
import {
  buildTopology,
  cold,
  hot,
  preflightInput,
  type TopologyOptions,
  zerto,
} from '../support/preflight-fixtures.js';

// Three cold datastores at site5, two hosts per site.
function world(): InventoryBuilder {
  return new InventoryBuilder()
    .site('site5', 2)
    .site('lognes', 2)
    .datastore('DS-A', { mountedOn: ['site5'] })
    .datastore('DS-B', { mountedOn: ['site5'] })
    .datastore('DS-C', { mountedOn: ['site5'] });
}

const coldABC: TopologyOptions = { protection: [cold('DS-A'), cold('DS-B'), cold('DS-C')] };

function run(b: InventoryBuilder, t: TopologyOptions = coldABC): PreflightResult {
  return runPreflight(preflightInput({ inventory: b.build(), topology: buildTopology(t) }));
}

function redundancy(r: PreflightResult): Finding[] {
  return r.findings.filter((f) => f.code === 'REDUNDANCY_SAME_STOP_GROUP');
}

const on = (host: string, ...datastores: string[]) => ({ host, datastores });

describe('redundancy: members must not stop together', () => {
  it('blocks a DRS anti-affinity pair on one cold datastore and suggests another datastore', () => {
    const b = world()
      .vm('ldap-01', on('esx-site5-01', 'DS-A'))
      .vm('ldap-02', on('esx-site5-02', 'DS-A'))
      .datastore('DS-B', { mountedOn: ['site5'], freeGb: 1_000 })
      .datastore('DS-C', { mountedOn: ['site5'], freeGb: 3_000 })
      .antiAffinity('site5', 'ldap', ['ldap-01', 'ldap-02']);
    const r = run(b);
    const [f] = redundancy(r);
    expect(r.blocked).toBe(true);
    expect(f?.severity).toBe('block');
    expect(f?.objects.vms).toEqual(['ldap-01', 'ldap-02']);
    expect(f?.message).toContain('DRS rule ldap');
    // The datastore with the most free space wins; ldap-01 (first by name) stays.
    expect(f?.actions).toEqual([
      { kind: 'storage-vmotion', vm: 'ldap-02', fromDatastore: 'DS-A', toDatastore: 'DS-C' },
    ]);
    expect(f?.fix).toContain('Storage-vMotion ldap-02 from DS-A to DS-C');
  });

  it('passes when the pair is on two datastores', () => {
    const b = world()
      .vm('ldap-01', on('esx-site5-01', 'DS-A'))
      .vm('ldap-02', on('esx-site5-02', 'DS-B'))
      .antiAffinity('site5', 'ldap', ['ldap-01', 'ldap-02']);
    const r = run(b);
    expect(redundancy(r)).toEqual([]);
    expect(r.blocked).toBe(false);
  });

  it('joins the units of a VM spanning two datastores into one stop group', () => {
    const b = world()
      .vm('ldap-01', on('esx-site5-01', 'DS-A'))
      .vm('ldap-02', on('esx-site5-02', 'DS-B'))
      .vm('db-01', on('esx-site5-01', 'DS-A', 'DS-B'))
      .antiAffinity('site5', 'ldap', ['ldap-01', 'ldap-02']);
    const r = run(b);
    const [f] = redundancy(r);
    expect(f?.message).toContain('DS-A + DS-B');
    expect(f?.actions?.[0]).toMatchObject({ vm: 'ldap-02', toDatastore: 'DS-C' });
    const group = r.plan.groups.find((g) => g.units.includes('DS-B'));
    expect(group?.units).toEqual(['DS-A', 'DS-B']);
  });

  it('handles a group spread over three units: moves to the unit free of peers', () => {
    const b = world()
      // web-01 and web-02 share DS-A's 200 GB used: about 100 GB each.
      .datastore('DS-A', { mountedOn: ['site5'], freeGb: 3_896 })
      .datastore('DS-D', { mountedOn: ['site5'], freeGb: 1_000 })
      .datastore('DS-B', { mountedOn: ['site5'], freeGb: 4_000 })
      .vm('web-01', on('esx-site5-01', 'DS-A'))
      .vm('web-02', on('esx-site5-02', 'DS-A'))
      .vm('web-03', on('esx-site5-01', 'DS-B'))
      .vm('web-04', on('esx-site5-02', 'DS-C'));
    const t: TopologyOptions = {
      protection: [cold('DS-A'), cold('DS-B'), cold('DS-C'), cold('DS-D')],
      redundancy: { groups: [{ name: 'web', vms: ['web-01', 'web-02', 'web-03', 'web-04'] }] },
    };
    const r = run(b, t);
    const found = redundancy(r);
    expect(found).toHaveLength(1);
    // DS-B has the most space but holds web-03; DS-D is the only unit without a member.
    expect(found[0]?.actions).toEqual([
      { kind: 'storage-vmotion', vm: 'web-02', fromDatastore: 'DS-A', toDatastore: 'DS-D' },
    ]);
  });

  it('sends several members of one stop group to different datastores', () => {
    const b = world()
      .vm('web-01', on('esx-site5-01', 'DS-A'))
      .vm('web-02', on('esx-site5-02', 'DS-A'))
      .vm('web-03', on('esx-site5-01', 'DS-A'));
    const r = run(b, {
      ...coldABC,
      redundancy: { groups: [{ name: 'web', vms: ['web-01', 'web-02', 'web-03'] }] },
    });
    const targets = redundancy(r)[0]?.actions?.map((a) =>
      a.kind === 'storage-vmotion' ? a.toDatastore : '',
    );
    expect(targets?.sort()).toEqual(['DS-B', 'DS-C']);
  });

  it('says so when no datastore can take the member', () => {
    const b = world()
      .vm('web-01', on('esx-site5-01', 'DS-A'))
      .vm('web-02', on('esx-site5-02', 'DS-A'))
      .vm('web-03', on('esx-site5-01', 'DS-B'))
      .vm('web-04', on('esx-site5-01', 'DS-C'));
    const r = run(b, {
      ...coldABC,
      redundancy: { groups: [{ name: 'web', vms: ['web-01', 'web-02', 'web-03', 'web-04'] }] },
    });
    const [f] = redundancy(r);
    expect(f?.actions).toBeUndefined();
    expect(f?.fix).toContain('No other storwize datastore at site5 can take web-02');
  });

  it('skips candidates without free space above the headroom or not mounted on the VM host', () => {
    const b = world()
      // ldap-02 takes about 100 GB. DS-B has the most free space after DS-C, but would drop under
      // its 10% headroom (1,000 GB of 10,000); DS-C is not mounted on ldap-02's host.
      .datastore('DS-A', { mountedOn: ['site5'], freeGb: 3_896 })
      .datastore('DS-B', { mountedOn: ['site5'], capacityGb: 10_000, freeGb: 1_050 })
      .datastore('DS-C', { hosts: ['esx-site5-01'], freeGb: 4_000 })
      .datastore('DS-D', { mountedOn: ['site5'], freeGb: 600 })
      .vm('ldap-01', on('esx-site5-01', 'DS-A'))
      .vm('ldap-02', on('esx-site5-02', 'DS-A'))
      .antiAffinity('site5', 'ldap', ['ldap-01', 'ldap-02']);
    const r = run(b, { protection: [cold('DS-A'), cold('DS-B'), cold('DS-C'), cold('DS-D')] });
    expect(redundancy(r)[0]?.actions?.[0]).toMatchObject({ vm: 'ldap-02', toDatastore: 'DS-D' });
  });

  it('groups by name pattern: the first capture group names the group', () => {
    const b = world()
      .vm('web-01', on('esx-site5-01', 'DS-A'))
      .vm('web-02', on('esx-site5-02', 'DS-A'))
      .vm('app-01', on('esx-site5-01', 'DS-A'))
      .vm('app-03', on('esx-site5-01', 'DS-A'));
    const r = run(b, { ...coldABC, redundancy: { namePattern: '^(.*)-0[12]$' } });
    const found = redundancy(r);
    expect(found).toHaveLength(1);
    expect(found[0]?.objects.vms).toEqual(['web-01', 'web-02']);
    expect(found[0]?.message).toContain('name pattern web');
  });

  it('groups by equal custom attribute or tag values', () => {
    const b = world()
      .vm('dns-a', { ...on('esx-site5-01', 'DS-A'), attributes: { 'ha-group': 'dns' } })
      .vm('dns-b', { ...on('esx-site5-02', 'DS-A'), attributes: { 'tag:ha-group': 'dns' } })
      .vm('mail', { ...on('esx-site5-02', 'DS-A'), attributes: { 'ha-group': 'mail' } })
      .vm('other', { ...on('esx-site5-02', 'DS-A'), attributes: { 'ha-group': '' } });
    const r = run(b, { ...coldABC, redundancy: { attribute: 'ha-group' } });
    const found = redundancy(r);
    expect(found.map((f) => f.objects.vms)).toEqual([['dns-a', 'dns-b']]);
    expect(found[0]?.message).toContain('attribute ha-group=dns');
  });

  it('reports one finding when two sources name the same pair', () => {
    const b = world()
      .vm('ldap-01', on('esx-site5-01', 'DS-A'))
      .vm('ldap-02', on('esx-site5-02', 'DS-A'))
      .antiAffinity('site5', 'ldap', ['ldap-01', 'ldap-02']);
    const r = run(b, { ...coldABC, redundancy: { namePattern: '^(.*)-0[12]$' } });
    expect(redundancy(r)).toHaveLength(1);
    expect(redundancy(r)[0]?.message).toContain('DRS rule ldap, name pattern ldap');
  });

  it('ignores disabled DRS rules, and all DRS rules when drsAntiAffinity is off', () => {
    const pair = () => world().vm('a-1', on('esx-site5-01', 'DS-A')).vm('a-2', on('esx-site5-02', 'DS-A'));
    expect(redundancy(run(pair().antiAffinity('site5', 'r', ['a-1', 'a-2'], false)))).toEqual([]);
    const off = run(pair().antiAffinity('site5', 'r', ['a-1', 'a-2']), {
      ...coldABC,
      redundancy: { drsAntiAffinity: false },
    });
    expect(redundancy(off)).toEqual([]);
  });

  it('does not count a powered-off member', () => {
    const b = world()
      .vm('ldap-01', on('esx-site5-01', 'DS-A'))
      .vm('ldap-02', { ...on('esx-site5-02', 'DS-A'), power: 'poweredOff' })
      .antiAffinity('site5', 'ldap', ['ldap-01', 'ldap-02']);
    expect(redundancy(run(b))).toEqual([]);
  });

  it('notes configured members that the inventory does not have', () => {
    const b = world().vm('ldap-01', on('esx-site5-01', 'DS-A'));
    const r = run(b, { ...coldABC, redundancy: { groups: [{ name: 'ldap', vms: ['ldap-01', 'ldap-99'] }] } });
    expect(r.findings.find((f) => f.code === 'REDUNDANCY_GROUP_VM_UNKNOWN')).toMatchObject({
      severity: 'info',
      objects: { vms: ['ldap-99'] },
    });
  });

  it('lets a hot (Live Volume) move keep a pair on one datastore: vMotion stops nothing', () => {
    const b = new InventoryBuilder()
      .site('site5', 2)
      .site('lognes', 2)
      .datastore('LV-A', { mountedOn: ['site5', 'lognes'] })
      .vm('ldap-01', on('esx-site5-01', 'LV-A'))
      .vm('ldap-02', on('esx-site5-02', 'LV-A'))
      .antiAffinity('site5', 'ldap', ['ldap-01', 'ldap-02']);
    expect(redundancy(run(b, { protection: [hot('LV-A')] }))).toEqual([]);
  });

  it('blocks a pair in one Zerto VPG and suggests the other VPG of the site', () => {
    const b = new InventoryBuilder()
      .site('site5', 2)
      .site('lognes', 2)
      .datastore('Z-A', { mountedOn: ['site5'] })
      .datastore('Z-B', { mountedOn: ['site5'] })
      .vm('ldap-01', on('esx-site5-01', 'Z-A'))
      .vm('ldap-02', on('esx-site5-02', 'Z-A'))
      .antiAffinity('site5', 'ldap', ['ldap-01', 'ldap-02']);
    const r = run(b, { protection: [zerto('VPG-A', ['Z-A']), zerto('VPG-B', ['Z-B'])] });
    const [f] = redundancy(r);
    expect(f?.message).toContain('the Zerto move stops VPG VPG-A');
    expect(f?.actions?.[0]).toMatchObject({ vm: 'ldap-02', toDatastore: 'Z-B' });
  });

  it('keeps units holding peers out of each other’s way in the plan', () => {
    const b = world()
      .vm('ldap-01', on('esx-site5-01', 'DS-A'))
      .vm('ldap-02', on('esx-site5-02', 'DS-B'))
      .vm('other', on('esx-site5-02', 'DS-C'))
      .antiAffinity('site5', 'ldap', ['ldap-01', 'ldap-02']);
    const r = run(b);
    const byId = new Map(r.plan.groups.map((g) => [g.id, g]));
    expect(byId.get('DS-A')?.notConcurrentWith).toEqual(['DS-B']);
    expect(byId.get('DS-B')?.notConcurrentWith).toEqual(['DS-A']);
    expect(byId.get('DS-C')?.notConcurrentWith).toEqual([]);
    const a = byId.get('DS-A')?.estimateMs ?? 0;
    const bMs = byId.get('DS-B')?.estimateMs ?? 0;
    // DS-A and DS-B run one after the other; DS-C runs alongside.
    expect(r.plan.estimatedTotalMs).toBe(a + bMs);
  });
});
