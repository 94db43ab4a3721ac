import { describe, expect, it } from 'vitest';
import { filterPayload, minimumVersion, normaliseBaseUrl } from '../../src/adapters/dell-sc/client.js';
import { liveVolumeSchema, type ScLiveVolume } from '../../src/adapters/dell-sc/schema.js';
import {
  liveVolumeHealth,
  liveVolumeStatus,
  primarySiteOf,
  siteOfStorageCenter,
  swapSettled,
} from '../../src/adapters/dell-sc/status.js';

const sites = { 'SC-SITE5': 'site5', '64702': 'lognes' };

function lv(over: Partial<ScLiveVolume> = {}): ScLiveVolume {
  return liveVolumeSchema.parse({
    objectType: 'ScLiveVolume',
    instanceId: '64701.5001',
    instanceName: 'Live Volume of LV-SITE5-01',
    primaryStorageCenter: { instanceId: '64701', instanceName: 'SC-SITE5' },
    secondaryStorageCenter: { instanceId: '64702', instanceName: 'SC-LOGNES' },
    primaryVolume: { instanceId: '64701.101', instanceName: 'LV-SITE5-01' },
    secondaryVolume: { instanceId: '64702.101', instanceName: 'LV-SITE5-01' },
    primaryRole: 'Primary',
    secondaryRole: 'Secondary',
    primaryStatus: 'Up',
    secondaryStatus: 'Up',
    primaryPeerState: 'Connected',
    secondaryPeerState: 'Connected',
    swappingRoles: false,
    primarySwapRoleState: 'NotSwapping',
    secondarySwapRoleState: 'NotSwapping',
    failoverState: 'Protected',
    replicationFound: true,
    replicationState: 'Up',
    type: 'Synchronous',
    syncMode: 'HighAvailability',
    syncStatus: 'Current',
    someFieldBasculeDoesNotRead: 42,
    ...over,
  });
}

describe('Live Volume status mapping', () => {
  it('is in sync only with syncStatus Current, replication Up and both sides Up and Connected', () => {
    expect(liveVolumeHealth(lv())).toBe('in-sync');
    expect(liveVolumeHealth(lv({ syncStatus: 'OutOfDate' }))).toBe('copying');
    expect(liveVolumeHealth(lv({ secondaryPeerState: 'Disconnected' }))).toBe('disconnected');
    expect(liveVolumeHealth(lv({ replicationState: 'Down' }))).toBe('disconnected');
    expect(liveVolumeHealth(lv({ primaryStatus: 'Down' }))).toBe('disconnected');
    expect(liveVolumeHealth(lv({ replicationFound: false }))).toBe('error');
  });

  it('accepts the object without type, syncMode and syncStatus, which Dell omits when a side is down', () => {
    const down = lv({
      replicationState: 'Down',
      syncStatus: undefined,
      type: undefined,
      syncMode: undefined,
    });
    expect(liveVolumeHealth(down)).toBe('disconnected');
    expect(liveVolumeHealth(lv({ syncStatus: undefined }))).toBe('error');
  });

  it('treats an Activated secondary as the primary site', () => {
    const activated = lv({ secondaryRole: 'Activated', replicationState: 'Down', primaryStatus: 'Down' });
    expect(primarySiteOf(activated, sites)).toBe('lognes');
    expect(liveVolumeHealth(activated)).toBe('disconnected');
    expect(primarySiteOf(lv(), sites)).toBe('site5');
  });

  it('maps Storage Centers by name or by serial, and names an unmapped one', () => {
    expect(siteOfStorageCenter({ instanceId: '64702', instanceName: 'renamed' }, sites)).toBe('lognes');
    expect(() => siteOfStorageCenter({ instanceId: '1', instanceName: 'SC-X' }, sites)).toThrow(
      expect.objectContaining({ code: 'DSM_UNKNOWN_STORAGE_CENTER' }),
    );
  });

  it('counts a swap as settled only when no side reports swapping', () => {
    expect(swapSettled(lv())).toBe(true);
    expect(swapSettled(lv({ swappingRoles: true }))).toBe(false);
    expect(swapSettled(lv({ secondarySwapRoleState: 'SwappingToPrimary' }))).toBe(false);
  });

  it('keeps the raw state for the operator and reports progress only while copying', () => {
    const st = liveVolumeStatus('LV-SITE5-01', lv({ syncStatus: 'OutOfDate' }), sites, 40);
    expect(st).toMatchObject({
      unitId: 'LV-SITE5-01',
      primarySite: 'site5',
      health: 'copying',
      progressPercent: 40,
    });
    expect(st.raw).toContain('sync OutOfDate');
    expect(liveVolumeStatus('x', lv(), sites, 40).progressPercent).toBeNull();
  });
});

describe('DSM client helpers', () => {
  it('takes the minimum from the version-range message and ignores other errors', () => {
    expect(
      minimumVersion('Invalid API version specified, the version must be in the range [2.0, 3.1].'),
    ).toBe('2.0');
    expect(minimumVersion('Invalid user name or password.')).toBeNull();
  });

  it('wraps list filters from 2.2 on and sends them bare before', () => {
    const f = [{ attributeName: 'instanceName', attributeValue: 'x' }];
    const inner = {
      filterType: 'AND',
      filters: [{ attributeName: 'instanceName', attributeValue: 'x', filterType: 'Equals' }],
    };
    expect(filterPayload('2.0', f)).toEqual(inner);
    expect(filterPayload('2.1', f)).toEqual(inner);
    expect(filterPayload('2.2', f)).toEqual({ filter: inner });
    expect(filterPayload('4.1', f)).toEqual({ filter: inner });
  });

  it('adds /api/rest to the configured URL only when missing', () => {
    expect(normaliseBaseUrl('https://dsm:3033/api/rest/')).toBe('https://dsm:3033/api/rest');
    expect(normaliseBaseUrl('https://dsm:3033')).toBe('https://dsm:3033/api/rest');
  });
});
