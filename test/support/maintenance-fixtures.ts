import type { Inventory } from '../../src/domain/inventory.js';
import type { MaintenanceWindow, NotificationSettings } from '../../src/domain/maintenance/types.js';
import type { Plan } from '../../src/domain/plan/types.js';
import { runPreflight } from '../../src/domain/preflight/run-preflight.js';
import { InventoryBuilder } from './inventory-builder.js';
import { buildTopology, cold, hot, preflightInput, zerto } from './preflight-fixtures.js';

// A site5 world with one cold datastore (web + a DNS owned by a group), one Live Volume (mail)
// and one Zerto VPG (erp), and the real plan the preflight builds for emptying site5.

export const PARIS = 'Europe/Paris';

export const settings = (over: Partial<NotificationSettings> = {}): NotificationSettings => ({
  timezone: PARIS,
  opsChannel: 'C0OPS',
  announceChannels: ['C0ANN'],
  reminders: ['7d', '1d', '1h'],
  startPromptLead: '2h',
  ...over,
});

export function maintenanceWorld(): { inventory: Inventory; plan: Plan } {
  const inventory = new InventoryBuilder()
    .site('site5', 2)
    .site('lognes', 3)
    .datastore('DS-A', { mountedOn: ['site5'] })
    .datastore('LV-A', { mountedOn: ['site5', 'lognes'] })
    .datastore('Z-A', { mountedOn: ['site5'] })
    .vm('web-1', {
      host: 'esx-site5-01',
      datastores: ['DS-A'],
      attributes: { service: 'web', owner: 'U0WEBOWNER' },
    })
    .vm('web-2', { host: 'esx-site5-02', datastores: ['DS-A'], attributes: { service: 'web' } })
    .vm('dns-1', {
      host: 'esx-site5-01',
      datastores: ['DS-A'],
      attributes: { service: 'dns', owner: 'S0NETTEAM' },
    })
    .vm('mail-1', { host: 'esx-site5-01', datastores: ['LV-A'], attributes: { service: 'mail' } })
    .vm('erp-1', {
      host: 'esx-site5-01',
      datastores: ['Z-A'],
      attributes: { service: 'erp', owner: 'someone' },
    })
    .build();
  const topology = buildTopology({ protection: [cold('DS-A'), hot('LV-A'), zerto('VPG-A', ['Z-A'])] });
  const result = runPreflight(preflightInput({ inventory, topology, request: {} }));
  return { inventory, plan: result.plan };
}

export function windowFixture(over: Partial<MaintenanceWindow> = {}): MaintenanceWindow {
  return {
    id: 'mw-abc123',
    site: 'site5',
    destination: 'lognes',
    mode: null,
    reason: 'Transformer replacement; building B, floor 2',
    startsAt: '2026-12-05T06:00:00.000Z',
    endsAt: '2026-12-06T18:00:00.000Z',
    timezone: PARIS,
    state: 'scheduled',
    version: 0,
    createdBy: 'U0ALICE',
    createdAt: '2026-11-01T10:00:00.000Z',
    updatedBy: 'U0ALICE',
    updatedAt: '2026-11-01T10:00:00.000Z',
    impact: null,
    reminders: [],
    announcements: [],
    runs: {},
    ...over,
  };
}
