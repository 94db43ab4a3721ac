import { describe, expect, it } from 'vitest';
import {
  type Decision,
  type PlanInput,
  planFailover,
  planResync,
  planSwitchover,
} from '../../src/adapters/storwize/plan.js';
import { healthOf, toStatus } from '../../src/adapters/storwize/status.js';
import type { RcState, RcView } from '../../src/adapters/storwize/types.js';

// The next step for each state (reference §1.4–1.5), and the domain's reading of the states.

const v = (state: RcState, primary: PlanInput['primary'] = 'master', inSync = false): PlanInput => ({
  state,
  primary,
  inSync,
});

function summary(d: Decision): string {
  if (d.kind === 'act') {
    const s = d.step;
    if (s.verb === 'switch') return `switch ${s.primary}`;
    if (s.verb === 'stop-access') return 'stop -access';
    return `start ${s.primary}${s.force ? ' -force' : ''}`;
  }
  if (d.kind === 'refuse') return `refuse ${d.code}`;
  return d.kind;
}

describe('planSwitchover (toward aux)', () => {
  it.each<[PlanInput, boolean, string]>([
    [v('consistent_synchronized', 'master'), false, 'switch aux'],
    [v('consistent_synchronized', 'aux'), false, 'done'],
    [v('consistent_stopped', 'master', true), false, 'switch aux'],
    [v('consistent_stopped', 'master', false), false, 'refuse STORWIZE_WRONG_STATE'],
    [v('consistent_stopped', 'master', false), true, 'stop -access'],
    [v('consistent_stopped', 'aux', true), false, 'start aux'],
    [v('consistent_stopped', 'aux', false), false, 'start aux -force'],
    [v('idling', null, true), false, 'switch aux'],
    [v('idling', null, false), false, 'refuse STORWIZE_WRONG_STATE'],
    [v('idling', null, false), true, 'start aux -force'],
    [v('inconsistent_copying', 'aux'), false, 'wait'],
    [v('inconsistent_copying', 'master'), true, 'refuse STORWIZE_WRONG_STATE'],
    [v('consistent_copying', 'master'), false, 'refuse STORWIZE_WRONG_STATE'],
    [v('consistent_copying', 'master'), true, 'stop -access'],
    [v('inconsistent_stopped', 'aux'), false, 'start aux'],
    [v('inconsistent_stopped', 'master'), true, 'refuse STORWIZE_WRONG_STATE'],
    [v('consistent_disconnected', 'master'), true, 'refuse STORWIZE_DISCONNECTED'],
    [v('idling_disconnected', null), true, 'refuse STORWIZE_DISCONNECTED'],
    [v('inconsistent_disconnected', 'master'), true, 'refuse STORWIZE_DISCONNECTED'],
    [v('empty', null), true, 'refuse STORWIZE_WRONG_STATE'],
  ])('%o, allowForce %s → %s', (input, allowForce, expected) => {
    expect(summary(planSwitchover(input, 'aux', allowForce))).toBe(expected);
  });

  it('refuses a switch while the status is not online, unless already done', () => {
    const offline = { ...v('consistent_synchronized', 'master'), online: false };
    expect(summary(planSwitchover(offline, 'aux', true))).toBe('refuse STORWIZE_WRONG_STATE');
    expect(summary(planSwitchover({ ...offline, primary: 'aux' }, 'aux', true))).toBe('done');
  });

  it('explains a refusal and what to do', () => {
    const d = planSwitchover(v('consistent_stopped', 'master', false), 'aux', false);
    expect(d).toMatchObject({
      kind: 'refuse',
      reason: expect.stringContaining('not copied'),
      hint: expect.stringContaining('force'),
    });
  });
});

describe('planFailover (toward aux)', () => {
  it.each<[PlanInput, string]>([
    [v('consistent_disconnected', 'master'), 'stop -access'],
    [v('consistent_synchronized', 'master'), 'stop -access'],
    [v('consistent_stopped', 'master'), 'stop -access'],
    [v('consistent_synchronized', 'aux'), 'done'],
    [v('idling', null), 'done'],
    [v('idling_disconnected', null), 'done'],
    [v('idling_disconnected', 'aux'), 'done'],
    [v('inconsistent_copying', 'master'), 'refuse STORWIZE_WRONG_STATE'],
    [v('inconsistent_stopped', 'aux'), 'done'],
    [v('inconsistent_disconnected', 'master'), 'refuse STORWIZE_WRONG_STATE'],
    [v('empty', null), 'refuse STORWIZE_WRONG_STATE'],
  ])('%o → %s', (input, expected) => {
    expect(summary(planFailover(input, 'aux'))).toBe(expected);
  });
});

describe('planResync', () => {
  it.each<[PlanInput, 'master' | 'aux' | null, string]>([
    [v('consistent_synchronized', 'master'), null, 'done'],
    [v('inconsistent_copying', 'aux'), null, 'wait'],
    [v('consistent_stopped', 'aux', true), null, 'start aux'],
    [v('consistent_stopped', 'aux', false), null, 'start aux -force'],
    [v('consistent_stopped', 'aux', false), 'master', 'refuse STORWIZE_WRONG_STATE'],
    [v('inconsistent_stopped', 'master'), null, 'start master'],
    [v('idling', null, false), null, 'refuse STORWIZE_WRONG_STATE'],
    [v('idling', null, false), 'aux', 'start aux -force'],
    [v('idling', null, true), 'master', 'start master'],
    [v('consistent_disconnected', 'master'), null, 'refuse STORWIZE_DISCONNECTED'],
  ])('%o, from %s → %s', (input, preferred, expected) => {
    expect(summary(planResync(input, preferred))).toBe(expected);
  });
});

describe('domain status', () => {
  it.each<[RcState, string]>([
    ['consistent_synchronized', 'in-sync'],
    ['inconsistent_copying', 'copying'],
    ['consistent_copying', 'copying'],
    ['consistent_stopped', 'stopped'],
    ['inconsistent_stopped', 'stopped'],
    ['idling', 'idling'],
    ['idling_disconnected', 'disconnected'],
    ['consistent_disconnected', 'disconnected'],
    ['inconsistent_disconnected', 'disconnected'],
    ['empty', 'error'],
  ])('%s is %s', (state, health) => {
    expect(healthOf(state)).toBe(health);
  });

  const view: RcView = {
    array: 'v7000-lognes',
    site: 'lognes',
    kind: 'relationship',
    name: 'rc_a',
    state: 'inconsistent_copying',
    primary: 'aux',
    inSync: false,
    online: true,
    status: 'online',
    progress: 37,
    masterSite: 'site5',
    auxSite: 'lognes',
    consistencyGroup: null,
  };

  it('names the primary site from the role, with progress while copying', () => {
    expect(toStatus('DS1', view)).toEqual({
      unitId: 'DS1',
      primarySite: 'lognes',
      health: 'copying',
      progressPercent: 37,
      lagSeconds: null,
      raw: 'inconsistent_copying',
    });
    expect(
      toStatus('DS1', { ...view, primary: 'master', state: 'consistent_synchronized', progress: null }),
    ).toMatchObject({
      primarySite: 'site5',
      progressPercent: null,
    });
    expect(
      toStatus('DS1', { ...view, primary: null, state: 'idling', progress: null }).primarySite,
    ).toBeNull();
  });
});
