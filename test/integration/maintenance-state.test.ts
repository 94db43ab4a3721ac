import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  createMaintenanceHarness,
  type MaintenanceHarness,
  OPERATOR,
} from '../support/maintenance-harness.js';

// A window follows the runs linked to it: the migration's success means the maintenance is in
// progress, the failback's success that it is done (and its last reminders are dropped).

let h: MaintenanceHarness;

beforeEach(async () => {
  h = await createMaintenanceHarness();
});
afterEach(async () => {
  await h.cleanup();
});

it('moves a window to in progress when its migration succeeds, and to done when its failback does', async () => {
  const { window } = await h.service.schedule(
    {
      site: 'site5',
      from: '2026-12-05 07:00',
      to: '2026-12-06 19:00',
      reason: 'Transformer replacement',
      mode: null,
      destination: null,
    },
    { id: OPERATOR },
  );
  const thread = { channel: 'C0LABINFRA', ts: '1764000000.000100' };
  await h.service.setState(window.id, 'migrating', {
    kind: 'migrate',
    link: { runId: 'r-aaaaaa', ...thread },
  });

  expect(await h.service.runEnded('r-unrelated', true)).toBeNull();
  expect(await h.service.runEnded('r-aaaaaa', false)).toBeNull();
  expect((await h.service.show(window.id)).state).toBe('migrating');
  expect((await h.service.runEnded('r-aaaaaa', true))?.state).toBe('in-progress');

  await h.service.setState(window.id, 'failing-back', {
    kind: 'failback',
    link: { runId: 'r-bbbbbb', ...thread },
  });
  expect((await h.service.runEnded('r-bbbbbb', true))?.state).toBe('done');
  expect((await h.service.show(window.id)).state).toBe('done');
  expect(await h.queue.getDelayedCount()).toBe(0);
});
