import { describe, expect, it } from 'vitest';
import { refreshAfterMs } from '../../src/adapters/zerto/auth.js';
import { taskStateNames, vpgStatusNames, vpgSubStatusNames } from '../../src/adapters/zerto/enums.js';
import { taskIdSchema, type Vpg, vpgSchema } from '../../src/adapters/zerto/schema.js';
import { primarySiteId, rawText, vpgHealth, vpgStatus } from '../../src/adapters/zerto/status.js';

const PROTECTED = 'site-a-id';
const RECOVERY = 'site-b-id';

function vpg(Status: number, SubStatus: number, over: Record<string, unknown> = {}): Vpg {
  return vpgSchema.parse({
    VpgIdentifier: 'vpg-1',
    VpgName: 'VPG-SITE5-01',
    Status,
    SubStatus,
    ActualRPO: 7,
    ProgressPercentage: 42,
    ProtectedSite: { identifier: PROTECTED, href: 'https://zvm/v1/localsite', type: 'SiteApi' },
    RecoverySite: { identifier: RECOVERY, href: 'https://zvm/v1/peersites/x', type: 'SiteApi' },
    ActiveProcessesApi: { RunningFailOverTestApi: null },
    VmsCount: 3,
    ...over,
  });
}

describe('Zerto enums', () => {
  it('keeps the full tables from Zerto for raw text', () => {
    expect(Object.keys(vpgStatusNames)).toHaveLength(9);
    expect(Object.keys(vpgSubStatusNames)).toHaveLength(33);
    expect(vpgSubStatusNames[19]).toBe('MovingBeforeCommit');
    expect(taskStateNames[2]).toBe('WaitingForUserInput');
  });
});

describe('VPG status mapping', () => {
  it.each([
    [1, 0, 'in-sync'],
    [3, 0, 'in-sync'],
    [0, 6, 'copying'],
    [2, 6, 'copying'],
    [4, 0, 'copying'],
    [2, 24, 'disconnected'],
    [2, 10, 'disconnected'],
    [2, 25, 'stopped'],
    [2, 26, 'stopped'],
    [6, 19, 'stopped'],
    [5, 15, 'stopped'],
    [8, 7, 'stopped'],
    [2, 7, 'error'],
    [2, 8, 'error'],
    [2, 31, 'error'],
    [7, 21, 'error'],
  ])('Status %i / SubStatus %i is %s', (status, sub, health) => {
    expect(vpgHealth(vpg(status, sub))).toBe(health);
  });

  it('puts the primary on the recovery site while a move or failover awaits or does its commit, and once Recovered', () => {
    expect(primarySiteId(vpg(1, 0))).toBe(PROTECTED);
    for (const sub of [19, 18, 15, 14]) expect(primarySiteId(vpg(6, sub))).toBe(RECOVERY);
    expect(primarySiteId(vpg(6, 20))).toBe(PROTECTED);
    expect(primarySiteId(vpg(8, 7))).toBe(RECOVERY);
  });

  it('uses ActualRPO as the lag and ProgressPercentage only while copying', () => {
    const siteOf = (id: string) => (id === PROTECTED ? 'site5' : 'lognes');
    expect(vpgStatus('u', vpg(1, 0), siteOf)).toEqual({
      unitId: 'u',
      primarySite: 'site5',
      health: 'in-sync',
      progressPercent: null,
      lagSeconds: 7,
      raw: 'MeetingSLA/None, RPO 7s',
    });
    expect(vpgStatus('u', vpg(2, 6), siteOf).progressPercent).toBe(42);
    expect(vpgStatus('u', vpg(1, 0, { ActualRPO: -1 }), siteOf).lagSeconds).toBeNull();
  });

  it('names unknown enum values and a running test in the raw text', () => {
    expect(rawText(vpg(42, 99))).toBe('Unknown(42)/Unknown(99), RPO 7s');
    expect(
      rawText(vpg(1, 0, { ActiveProcessesApi: { RunningFailOverTestApi: { Stage: 'Running' } } })),
    ).toContain('failover test running');
  });
});

describe('Zerto schemas and token timing', () => {
  it('reads a task identifier as the JSON string every action returns', () => {
    expect(taskIdSchema.parse(JSON.parse('"7e79035e-a.3e4cdd0d-b"'))).toBe('7e79035e-a.3e4cdd0d-b');
    expect(taskIdSchema.safeParse({ TaskIdentifier: 'x' }).success).toBe(false);
  });

  it('renews 30 s before expiry, or half-way through short-lived tokens', () => {
    expect(refreshAfterMs(300)).toBe(270_000);
    expect(refreshAfterMs(60)).toBe(30_000);
    expect(refreshAfterMs(10)).toBe(5_000);
  });
});
