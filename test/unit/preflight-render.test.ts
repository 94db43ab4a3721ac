import { describe, expect, it } from 'vitest';
import { buildLabModel } from '../../lab/model.js';
import { formatDuration, renderPreflightReport, wrap } from '../../src/domain/preflight/render-text.js';
import { runPreflight } from '../../src/domain/preflight/run-preflight.js';
import { InventoryBuilder } from '../support/inventory-builder.js';
import { inventoryFromModel, labZertoRecovery } from '../support/inventory-from-model.js';
import { buildTopology, cold, labTopology, preflightInput } from '../support/preflight-fixtures.js';

function labReport(): string {
  const model = buildLabModel();
  const input = preflightInput({
    inventory: inventoryFromModel(model),
    topology: labTopology(model),
    zertoRecoveryDatastores: labZertoRecovery(model, 'lognes'),
  });
  return renderPreflightReport(runPreflight(input));
}

describe('text report', () => {
  it('puts the verdict and blocking findings first, with their fixes', () => {
    const text = labReport();
    const lines = text.split('\n');
    expect(lines[0]).toBe('Preflight migrate site5 -> lognes: BLOCKED (2 blocking, 2 warning(s), 0 note(s))');
    const blocking = lines.indexOf('BLOCKING');
    const warnings = lines.indexOf('WARNINGS');
    expect(blocking).toBeGreaterThan(0);
    expect(warnings).toBeGreaterThan(blocking);
    const blockText = lines.slice(blocking, warnings).join('\n');
    expect(blockText).toContain('[REDUNDANCY_SAME_STOP_GROUP] ldap-01 and ldap-02');
    expect(blockText).toMatch(/fix: Storage-vMotion ldap-02 from SAN-SITE5-PROD-01 to SAN-SITE5-PROD-02/);
  });

  it('shows capacity before and after per cluster, the plan per unit, and the plan hash', () => {
    const text = labReport();
    expect(text).toMatch(/^ {2}lognes +3\/3 +1 +\d+ -> \d+ \/ 256 .* ok$/m);
    expect(text).toContain('1. SAN-SITE5-PROD-01: storwize');
    expect(text).toMatch(/^ {5}switch-replication +rc_san_site5_prod_01 -> lognes +30 s$/m);
    expect(text).toMatch(/^Plan hash [0-9a-f]{64}$/m);
  });

  it('stays within 100 columns', () => {
    const long = 'x'.repeat(30);
    const b = new InventoryBuilder()
      .site('site5', 1)
      .site('lognes', 1)
      .datastore(`DS-${long}`, { mountedOn: ['site5'] });
    for (let i = 0; i < 12; i++)
      b.vm(`vm-${long}-${i}`, { host: 'esx-site5-01', datastores: [`DS-${long}`], snapshot: true });
    const topology = buildTopology({ protection: [cold(`DS-${long}`)], capacity: { haHostsReserved: 0 } });
    const text = renderPreflightReport(runPreflight(preflightInput({ inventory: b.build(), topology })));
    for (const line of [...text.split('\n'), ...labReport().split('\n')])
      expect(line.length).toBeLessThanOrEqual(100);
    // Twelve snapshot warnings fold into one entry.
    expect(text.match(/VM_HAS_SNAPSHOT/g)).toHaveLength(1);
    expect(text).toContain('[VM_HAS_SNAPSHOT] 12 times:');
  });

  it('wraps words and formats durations', () => {
    expect(wrap('aaa bbb ccc', '  ', '    ')).toEqual(['  aaa bbb ccc']);
    expect(wrap(`${'a'.repeat(60)} ${'b'.repeat(60)}`, '', '  ')).toEqual([
      'a'.repeat(60),
      `  ${'b'.repeat(60)}`,
    ]);
    expect([45_000, 60_000, 270_000, 3_600_000, 4_320_000].map(formatDuration)).toEqual([
      '45 s',
      '1 min',
      '4 min 30 s',
      '1 h',
      '1 h 12 min',
    ]);
  });
});
