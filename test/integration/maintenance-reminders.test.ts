import ICAL from 'ical.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MaintenanceError } from '../../src/domain/maintenance/errors.js';
import { impactFromPlan } from '../../src/domain/maintenance/impact.js';
import { ACTION_RUN_PREFLIGHT, ACTION_START_FAILBACK } from '../../src/domain/maintenance/messages.js';
import { renderListText } from '../../src/domain/maintenance/status-view.js';
import type { MaintenanceWindow } from '../../src/domain/maintenance/types.js';
import { deliverReminder } from '../../src/jobs/maintenance/deliver.js';
import { maintenanceWorld } from '../support/maintenance-fixtures.js';
import {
  ANNOUNCE,
  createMaintenanceHarness,
  type MaintenanceHarness,
  OPERATOR,
  OPS,
} from '../support/maintenance-harness.js';

// Maintenance windows against real Redis (BullMQ delayed jobs) and the Slack stand-in. The clock
// is injected: to make a reminder fire, the test sets the clock just before its instant and
// recomputes the delays, so each reminder is a real delayed job that fires a few ms later.

let h: MaintenanceHarness;
const actor = { id: OPERATOR };

beforeEach(async () => {
  h = await createMaintenanceHarness();
});
afterEach(async () => {
  await h.cleanup();
});

async function errorOf(p: Promise<unknown>): Promise<MaintenanceError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof MaintenanceError) return err;
    throw err;
  }
  throw new Error('no error thrown');
}

const scheduleAutumn = () =>
  h.service.schedule(
    {
      site: 'site5',
      // The night the clocks go back in Paris: 07:00 CET is 06:00Z.
      from: '2026-10-25 07:00',
      to: '2026-10-25 19:00',
      reason: 'Transformer replacement',
      mode: 'cold',
      destination: null,
    },
    actor,
  );

async function delayedIds(): Promise<string[]> {
  return (await h.queue.getDelayed()).map((j) => j.id ?? '').sort();
}

describe('maintenance windows', () => {
  it('scheduling stores the window, queues its reminders and posts the announcement with the plan impact', async () => {
    const { inventory, plan } = maintenanceWorld();
    const impact = impactFromPlan(plan, inventory.vms, { attribute: 'service', ownerAttribute: 'owner' });
    const { window, posted } = await h.service.schedule(
      {
        site: 'site5',
        from: '2026-12-05 07:00',
        to: '2026-12-06T19:00+01:00',
        reason: 'New UPS',
        mode: null,
        destination: null,
        impact,
      },
      actor,
    );
    expect(window).toMatchObject({
      site: 'site5',
      destination: 'lognes',
      startsAt: '2026-12-05T06:00:00.000Z',
      endsAt: '2026-12-06T18:00:00.000Z',
      state: 'scheduled',
      createdBy: OPERATOR,
    });
    expect(posted).toEqual([{ channel: ANNOUNCE, ts: expect.any(String) }]);
    expect((await h.service.show(window.id)).announcements).toEqual(posted);

    const posts = h.posts();
    expect(posts).toHaveLength(1);
    expect(posts[0]?.channel).toBe(ANNOUNCE);
    expect(posts[0]?.text).toMatch(/^Power maintenance scheduled on site5: 2026-12-05 07:00 \(UTC\+01:00\)/);
    expect(posts[0]?.blocks).toContain(
      `<!date^${Date.parse('2026-12-05T06:00:00Z') / 1000}^{date_long_pretty} {time}|`,
    );
    expect(posts[0]?.blocks).toContain('*web*: down for about 3 min <@U0WEBOWNER>');
    expect(posts[0]?.blocks).toContain('*erp*: one reboot');
    expect(posts[0]?.blocks).toContain('*mail*: no interruption');

    expect(await delayedIds()).toEqual(window.reminders.map((r) => r.jobId).sort());
    expect(window.reminders.map((r) => r.kind)).toEqual([
      'reminder-7d',
      'reminder-1d',
      'start-prompt',
      'reminder-1h',
      'end-prompt',
    ]);
  });

  it('reminders fire once, at the right instants across the October DST change, across a worker restart', async () => {
    const { window } = await scheduleAutumn();
    expect(window.reminders.map((r) => `${r.kind}@${r.at}`)).toEqual([
      'reminder-7d@2026-10-18T05:00:00.000Z',
      'reminder-1d@2026-10-24T05:00:00.000Z',
      'start-prompt@2026-10-25T04:00:00.000Z',
      'reminder-1h@2026-10-25T05:00:00.000Z',
      'end-prompt@2026-10-25T18:00:00.000Z',
    ]);
    expect(window.impact).toBeNull();
    const { inventory, plan } = maintenanceWorld();
    h.preflight.summary = {
      blocked: true,
      blockers: ['esx-lognes-02 is in maintenance mode'],
      impact: impactFromPlan(plan, inventory.vms, { attribute: 'service', ownerAttribute: 'owner' }),
    };

    const first = h.startWorker();
    for (const r of window.reminders.slice(0, 2)) {
      await h.fireAt(r.at);
      await h.waitForJob(r.jobId);
    }
    // Restart: the first worker goes away, a new one picks up the remaining delayed jobs.
    await first.close();
    h.startWorker();
    for (const r of window.reminders.slice(2)) {
      await h.fireAt(r.at);
      await h.waitForJob(r.jobId);
    }

    const posts = h.posts().slice(1); // after the scheduling announcement
    expect(posts.map((p) => [p.channel, p.text.split(':')[0]])).toEqual([
      [ANNOUNCE, 'Reminder'],
      [ANNOUNCE, 'Reminder'],
      [OPS, 'Preflight for the site5 maintenance would block today'],
      [OPS, 'Maintenance of site5 starts in 2 h (2026-10-25 07'],
      [ANNOUNCE, 'Reminder'],
      [OPS, 'Power is back on site5'],
    ]);
    expect(posts[0]?.text).toContain('in 7 days');
    expect(posts[1]?.text).toContain('in 1 day');
    // The 1-day preflight's plan gives the impact, announced from then on.
    expect(posts[0]?.blocks).toContain('impact per service will be announced once a preflight has run');
    expect(posts[1]?.blocks).toContain('*web*: down for about 3 min <@U0WEBOWNER>');
    expect(posts[4]?.blocks).toContain('*erp*: one reboot');
    expect((await h.service.show(window.id)).impact?.map((s) => s.service)).toEqual([
      'dns',
      'web',
      'erp',
      'mail',
    ]);
    expect(posts[2]?.blocks).toContain('esx-lognes-02 is in maintenance mode');
    expect(posts[3]?.blocks).toContain(ACTION_RUN_PREFLIGHT);
    expect(JSON.parse(JSON.parse(posts[3]?.blocks ?? '[]')[2].elements[0].value)).toEqual({
      windowId: window.id,
      site: 'site5',
      destination: 'lognes',
      mode: 'cold',
    });
    expect(posts[4]?.text).toContain('in 1 hour');
    expect(posts[5]?.blocks).toContain(ACTION_START_FAILBACK);
    expect(await h.queue.getDelayedCount()).toBe(0);
  });

  it('with two workers (and the reminders queued twice) each reminder fires once, across the March DST change', async () => {
    const { window } = await h.service.schedule(
      {
        site: 'lognes',
        // The night the clocks go forward: 07:00 CEST is 05:00Z; the day before, 07:00 CET is 06:00Z.
        from: '2027-03-28 07:00',
        to: '2027-03-28 12:00',
        reason: 'Switchboard inspection',
        mode: null,
        destination: null,
      },
      actor,
    );
    expect(window.reminders.find((r) => r.kind === 'reminder-1d')?.at).toBe('2027-03-27T06:00:00.000Z');
    expect(window.reminders.find((r) => r.kind === 'reminder-7d')?.at).toBe('2027-03-21T06:00:00.000Z');
    h.startWorker();
    h.startWorker();
    for (const r of window.reminders) {
      // A second bot instance resyncing at the same moment adds nothing: the job ids are stable.
      await Promise.all([h.fireAt(r.at), h.service.resyncReminders()]);
      await h.waitForJob(r.jobId);
    }
    const texts = h.posts().map((p) => `${p.channel} ${p.text.split(' (')[0]?.split(':')[0]}`);
    expect(texts).toEqual([
      `${ANNOUNCE} Power maintenance scheduled on lognes`,
      `${ANNOUNCE} Reminder`,
      `${ANNOUNCE} Reminder`,
      `${OPS} Maintenance of lognes starts in 2 h`,
      `${ANNOUNCE} Reminder`,
      `${OPS} Power is back on lognes`,
    ]);
    expect(await h.queue.getCompletedCount()).toBe(5);
  });

  it('edit replaces the reminders, cancel removes them; a stale job posts nothing', async () => {
    const { window } = await scheduleAutumn();
    const before = window.reminders.map((r) => r.jobId);
    const edited = await h.service.edit(
      {
        id: window.id,
        from: '2026-11-07 08:00',
        to: '2026-11-07 18:00',
        reason: null,
        mode: null,
        destination: null,
      },
      actor,
    );
    expect(edited.window.version).toBe(1);
    expect(edited.window.startsAt).toBe('2026-11-07T07:00:00.000Z');
    const after = edited.window.reminders.map((r) => r.jobId);
    expect(after.some((id) => before.includes(id))).toBe(false);
    expect(await delayedIds()).toEqual([...after].sort());
    for (const id of before) expect(await h.queue.getJob(id)).toBeUndefined();
    expect(h.posts().at(-1)?.text).toMatch(/^Power maintenance on site5 changed: 2026-11-07 08:00/);

    // A reason-only edit keeps the same instants, hence the same jobs.
    const reworded = await h.service.edit(
      {
        id: window.id,
        from: null,
        to: null,
        reason: 'Transformer replacement (phase 2)',
        mode: null,
        destination: null,
      },
      actor,
    );
    expect(reworded.window.reminders.map((r) => r.jobId)).toEqual(after);

    // A job that escaped removal (it was running during the edit) finds it is stale.
    const stale = await deliverReminder(
      {
        store: h.store,
        sender: {
          post: () => Promise.reject(new Error('a stale reminder must not post')),
        },
        settings: h.settings,
      },
      before[1] ?? '',
      { windowId: window.id, kind: 'reminder-1d', at: window.reminders[1]?.at ?? '' },
    );
    expect(stale).toEqual({ status: 'skipped', kind: 'reminder-1d', reason: 'reminder replaced by an edit' });

    const cancelled = await h.service.cancel(window.id, actor);
    expect(cancelled.window.state).toBe('cancelled');
    expect(await h.queue.getDelayedCount()).toBe(0);
    expect(h.posts().at(-1)?.text).toMatch(/^Power maintenance on site5 cancelled/);
    expect(await h.service.list()).toEqual([]);
    expect((await h.service.list(true)).map((w) => w.state)).toEqual(['cancelled']);
    const again = await errorOf(h.service.cancel(window.id, actor));
    expect(again.code).toBe('MAINT_CLOSED');
  });

  it('a preflight that cannot run at the 1-day reminder is reported early to the operators', async () => {
    const { window } = await scheduleAutumn();
    h.preflight.error = 'vCenter vc.site5 unreachable';
    h.startWorker();
    const oneDay = window.reminders.find((r) => r.kind === 'reminder-1d');
    await h.fireAt(oneDay?.at ?? '');
    await h.waitForJob(oneDay?.jobId ?? '');
    const posts = h.posts().slice(1);
    expect(posts.map((p) => p.channel)).toEqual([ANNOUNCE, OPS]);
    expect(posts[1]?.blocks).toContain('the preflight could not run: vCenter vc.site5 unreachable');
  });

  it('the status view follows the runs: state, thread links, done drops the reminders', async () => {
    const { window } = await scheduleAutumn();
    const link = {
      runId: 'run-42',
      channel: OPS,
      ts: '1761372000.000100',
      permalink: 'https://lab.slack/p42',
    };
    await h.service.setState(window.id, 'migrating', { kind: 'migrate', link });
    const [listed] = await h.service.list();
    expect(listed).toMatchObject({ state: 'migrating', runs: { migrate: link } });
    expect(renderListText([listed as MaintenanceWindow])).toContain(
      'runs: migration run-42 https://lab.slack/p42',
    );
    await h.service.setState(window.id, 'done');
    expect(await h.queue.getDelayedCount()).toBe(0);
    expect(await h.service.list()).toEqual([]);
  });

  it('bad input schedules nothing and posts nothing', async () => {
    await scheduleAutumn();
    const base = {
      site: 'site5',
      from: '2026-12-05 07:00',
      to: '2026-12-05 19:00',
      reason: 'x',
      mode: null,
      destination: null,
    };
    const cases: Array<[Partial<typeof base>, string]> = [
      [{ from: '2026-10-25 12:00', to: '2026-10-26 09:00' }, 'MAINT_OVERLAP'],
      [{ from: '2027-03-28 02:30', to: '2027-03-28 09:00' }, 'MAINT_DST_GAP'],
      [{ from: '2026-10-25 02:15', to: '2026-10-25 05:00', site: 'lognes' }, 'MAINT_DST_AMBIGUOUS'],
      [{ from: '2026-09-01 07:00', to: '2026-09-01 19:00' }, 'MAINT_IN_PAST'],
      [{ to: '2026-12-05 06:00' }, 'MAINT_END_BEFORE_START'],
      [{ site: 'site9' }, 'MAINT_UNKNOWN_SITE'],
    ];
    for (const [change, code] of cases) {
      const err = await errorOf(h.service.schedule({ ...base, ...change }, actor));
      expect(err.code, JSON.stringify(change)).toBe(code);
      expect(err.hint).toBeTruthy();
    }
    const outsider = await errorOf(h.service.schedule(base, { id: 'U0LABDAVE1' }));
    expect(outsider.code).toBe('MAINT_NOT_OPERATOR');
    expect(await h.store.list()).toHaveLength(1);
    expect(await h.queue.getDelayedCount()).toBe(5);
    expect(h.posts()).toHaveLength(1);
  });

  it('two operators scheduling the same night at once: one wins, the other gets the overlap', async () => {
    const input = {
      site: 'site5',
      from: '2026-12-05 07:00',
      to: '2026-12-05 19:00',
      reason: 'race',
      mode: null,
      destination: null,
    };
    const results = await Promise.allSettled([
      h.service.schedule(input, actor),
      h.service.schedule(input, actor),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected');
    expect(rejected?.status === 'rejected' && (rejected.reason as MaintenanceError).code).toBe(
      'MAINT_OVERLAP',
    );
    expect(await h.store.list()).toHaveLength(1);
  });

  it('the iCalendar feed parses back with ical.js', async () => {
    const { window } = await scheduleAutumn();
    const other = await h.service.schedule(
      {
        site: 'lognes',
        from: '2026-12-01 08:00',
        to: '2026-12-01 09:00',
        reason: 'UPS, test; short',
        mode: null,
        destination: null,
      },
      actor,
    );
    await h.service.cancel(other.window.id, actor);
    const events = new ICAL.Component(ICAL.parse(await h.service.ics('bascule.test')))
      .getAllSubcomponents('vevent')
      .map((e) => new ICAL.Event(e));
    expect(
      events.map((e) => [
        e.uid,
        e.startDate.toJSDate().toISOString(),
        e.component.getFirstPropertyValue('status'),
      ]),
    ).toEqual([
      [`${window.id}@bascule.test`, '2026-10-25T06:00:00.000Z', 'CONFIRMED'],
      [`${other.window.id}@bascule.test`, '2026-12-01T07:00:00.000Z', 'CANCELLED'],
    ]);
    expect(events[1]?.description).toContain('UPS, test; short');
  });
});
