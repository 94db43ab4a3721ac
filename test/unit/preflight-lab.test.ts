import { describe, expect, it } from 'vitest';
import { buildLabModel, type LabModel } from '../../lab/model.js';
import { runPreflight } from '../../src/domain/preflight/run-preflight.js';
import type { MoveRequest, PreflightResult } from '../../src/domain/preflight/types.js';
import { inventoryFromModel, labZertoRecovery } from '../support/inventory-from-model.js';
import { labTopology, preflightInput } from '../support/preflight-fixtures.js';

function preflight(model: LabModel, request: Partial<MoveRequest> = {}): PreflightResult {
  return runPreflight(
    preflightInput({
      inventory: inventoryFromModel(model),
      topology: labTopology(model),
      zertoRecoveryDatastores: labZertoRecovery(model, 'lognes'),
      request,
    }),
  );
}

const blocking = (r: PreflightResult) => r.findings.filter((f) => f.severity === 'block');

function labVm(model: LabModel, name: string) {
  const vm = model.vms.find((v) => v.name === name);
  if (!vm) throw new Error(`the lab has no ${name}`);
  return vm;
}

describe('preflight on the small lab', () => {
  it('finds exactly the misplaced LDAP pair on the datastore holding it, and suggests PROD-02', () => {
    const r = preflight(buildLabModel(), { datastores: ['SAN-SITE5-PROD-01'] });
    const blocks = blocking(r);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toMatchObject({
      code: 'REDUNDANCY_SAME_STOP_GROUP',
      objects: { vms: ['ldap-01', 'ldap-02'], units: ['SAN-SITE5-PROD-01'] },
      actions: [
        {
          kind: 'storage-vmotion',
          vm: 'ldap-02',
          fromDatastore: 'SAN-SITE5-PROD-01',
          toDatastore: 'SAN-SITE5-PROD-02',
        },
      ],
    });
    expect(blocks[0]?.fix).toContain('SAN-SITE5-PROD-02');
  });

  it('passes once ldap-02 is moved to SAN-SITE5-PROD-02', () => {
    const model = buildLabModel();
    labVm(model, 'ldap-02').datastores = ['SAN-SITE5-PROD-02'];
    const r = preflight(model, { datastores: ['SAN-SITE5-PROD-01'] });
    expect(blocking(r)).toEqual([]);
    expect(r.blocked).toBe(false);
    // The VM without Tools is still there, as a warning.
    expect(r.findings.map((f) => f.code)).toContain('VM_TOOLS_NOT_RUNNING');
  });

  it('on the whole site, also blocks the ISO CD-ROM, and passes once both are fixed', () => {
    const model = buildLabModel();
    const before = preflight(model);
    expect(blocking(before).map((f) => f.code)).toEqual([
      'CDROM_ISO_NOT_REPLICATED',
      'REDUNDANCY_SAME_STOP_GROUP',
    ]);
    expect(before.findings.map((f) => f.code)).toEqual(
      expect.arrayContaining(['VM_TOOLS_NOT_RUNNING', 'VM_HAS_SNAPSHOT']),
    );

    labVm(model, 'ldap-02').datastores = ['SAN-SITE5-PROD-02'];
    const withIso = model.vms.find((v) => v.iso !== undefined);
    if (withIso) delete withIso.iso;
    const after = preflight(model);
    expect(blocking(after)).toEqual([]);
    expect(after.plan.groups.map((g) => g.id)).toEqual([
      'SAN-SITE5-PROD-01',
      'LV-SITE5-01',
      'VPG-SITE5-01',
      'SAN-SITE5-PROD-02',
    ]);
    // ldap-01 and ldap-02 now stop with different units, which must not run at the same time.
    const prod1 = after.plan.groups.find((g) => g.id === 'SAN-SITE5-PROD-01');
    expect(prod1?.notConcurrentWith).toContain('SAN-SITE5-PROD-02');
  });

  it('places the spanning VM of lognes in one stop group for a move back', () => {
    const r = preflight(buildLabModel(), { from: 'lognes', to: 'site5', mode: 'cold' });
    const joined = r.plan.groups.find((g) => g.units.length > 1);
    expect(joined?.units).toEqual(['SAN-LOGNES-PROD-01', 'SAN-LOGNES-PROD-02']);
  });
});

describe('preflight on the large lab', () => {
  it('plans every unit of the site and places every VM', () => {
    const model = buildLabModel({ size: 'large' });
    const r = preflight(model);
    const site5Units = model.datastores.filter((d) => d.site === 'site5' && d.method !== 'none').length;
    expect(r.plan.groups).toHaveLength(site5Units);
    const moving = model.vms.filter((v) => v.host.startsWith('esx-site5-')).length;
    let placed = 0;
    for (const g of r.plan.groups) {
      for (const s of g.steps) {
        if (s.kind === 'register-vms') placed += s.vms.filter((v) => v.target !== null).length;
        if (s.kind === 'vmotion-vms') placed += s.moves.filter((m) => m.target !== null).length;
        if (s.kind === 'zerto-move') placed += s.vms.length;
      }
    }
    expect(placed).toBe(moving);
    // The generated lab splits every pair; what it cannot do is fit both sites' load on one.
    expect(blocking(r).map((f) => f.code)).toEqual(['CAPACITY_MEMORY', 'CAPACITY_VCPU']);
  });
});
