import { describe, expect, it } from 'vitest';
import { bootGroups, bootMatchers } from '../../src/domain/plan/boot-order.js';
import { scheduleTotalMs } from '../../src/domain/plan/schedule.js';

const g = (id: string, restMs: number, resyncMs = 0, notConcurrentWith: string[] = []) => ({
  id,
  restMs,
  resyncMs,
  notConcurrentWith,
});

describe('schedule estimate', () => {
  it('runs groups side by side up to the lane count', () => {
    expect(scheduleTotalMs([g('a', 10), g('b', 10), g('c', 10)], 2, false)).toBe(20);
    expect(scheduleTotalMs([g('a', 10), g('b', 10), g('c', 10)], 3, false)).toBe(10);
    expect(scheduleTotalMs([], 4, false)).toBe(0);
  });

  it('never overlaps conflicting groups', () => {
    expect(scheduleTotalMs([g('a', 10), g('b', 10, 0, ['a']), g('c', 5)], 4, false)).toBe(20);
  });

  it('runs resyncs one at a time when asked, the rest in parallel', () => {
    const groups = [g('a', 5, 100), g('b', 5, 100)];
    expect(scheduleTotalMs(groups, 2, true)).toBe(205);
    expect(scheduleTotalMs(groups, 2, false)).toBe(105);
  });
});

describe('boot order', () => {
  const matchers = bootMatchers([
    { name: 'infra', vms: ['ldap-01'], pattern: '^dns-' },
    { name: 'db', vms: [], pattern: '^db-' },
    { name: 'unused', vms: ['nothing'] },
  ]);

  it('puts VMs in the first group naming or matching them, the rest last, empty groups dropped', () => {
    const groups = bootGroups(
      [
        { name: 'web-01', host: 'h1', toolsRunning: true },
        { name: 'dns-01', host: 'h1', toolsRunning: true },
        { name: 'db-01', host: 'h2', toolsRunning: false },
        { name: 'ldap-01', host: 'h2', toolsRunning: true },
      ],
      matchers,
    );
    expect(groups.map((x) => [x.name, x.vms.map((v) => v.name), x.waitForTools])).toEqual([
      ['infra', ['dns-01', 'ldap-01'], ['dns-01', 'ldap-01']],
      // db-01 has no Tools: waiting for its heartbeat would never end.
      ['db', ['db-01'], []],
      ['(other VMs)', ['web-01'], []],
    ]);
  });
});
