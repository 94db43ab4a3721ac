import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/domain/errors.js';
import { requireOperator } from '../../src/domain/maintenance/access.js';
import { MaintenanceError } from '../../src/domain/maintenance/errors.js';
import { parseMaintenance } from '../../src/domain/maintenance/grammar.js';
import { escapeText, foldLine, renderIcs } from '../../src/domain/maintenance/ics.js';
import { impactFromPlan, servicesWithoutPlan } from '../../src/domain/maintenance/impact.js';
import {
  ACTION_RUN_PREFLIGHT,
  ACTION_START_FAILBACK,
  renderAnnouncement,
  renderEndPrompt,
  renderPreflightWarning,
  renderStartPrompt,
} from '../../src/domain/maintenance/messages.js';
import { renderListText, visibleWindows } from '../../src/domain/maintenance/status-view.js';
import { validateWindow } from '../../src/domain/maintenance/validate.js';
import { maintenanceWorld, PARIS, windowFixture } from '../support/maintenance-fixtures.js';

const attrs = { attribute: 'service', ownerAttribute: 'owner' };

function errorOf(f: () => unknown): MaintenanceError | UsageError {
  try {
    f();
  } catch (err) {
    if (err instanceof MaintenanceError || err instanceof UsageError) return err;
    throw err;
  }
  throw new Error('no error thrown');
}

describe('impact from the plan', () => {
  it('cold: downtime from shutdown to power-on of the unit; hot: none; Zerto: a reboot', () => {
    const { inventory, plan } = maintenanceWorld();
    const cold = plan.groups.find((g) => g.id === 'DS-A');
    const from = cold?.steps.findIndex((s) => s.kind === 'shutdown-vms') ?? -1;
    const to = cold?.steps.findIndex((s) => s.kind === 'power-on-vms') ?? -1;
    const expected = (cold?.steps ?? []).slice(from, to + 1).reduce((a, s) => a + s.estimateMs, 0);
    expect(expected).toBeGreaterThan(0);
    const zertoMove = plan.groups.flatMap((g) => g.steps).find((s) => s.kind === 'zerto-move');

    const impact = impactFromPlan(plan, inventory.vms, attrs);
    expect(impact).toEqual([
      { service: 'dns', kind: 'downtime', downtimeMs: expected, owners: ['S0NETTEAM'], vms: ['dns-1'] },
      {
        service: 'web',
        kind: 'downtime',
        downtimeMs: expected,
        owners: ['U0WEBOWNER'],
        vms: ['web-1', 'web-2'],
      },
      { service: 'erp', kind: 'reboot', downtimeMs: zertoMove?.estimateMs, owners: [], vms: ['erp-1'] },
      { service: 'mail', kind: 'none', downtimeMs: 0, owners: [], vms: ['mail-1'] },
    ]);
  });

  it('without a plan: the services, impact unknown', () => {
    const { inventory } = maintenanceWorld();
    const impact = servicesWithoutPlan(inventory.vms, attrs);
    expect(impact.map((s) => [s.service, s.kind])).toEqual([
      ['dns', 'unknown'],
      ['erp', 'unknown'],
      ['mail', 'unknown'],
      ['web', 'unknown'],
    ]);
  });
});

describe('validateWindow', () => {
  const now = Date.parse('2026-11-01T00:00:00Z');
  const ctx = { sites: ['site5', 'lognes'], timezone: PARIS, now, existing: [windowFixture()] };
  const draft = {
    site: 'lognes',
    destination: null,
    mode: null,
    reason: 'UPS test',
    startsAt: Date.parse('2026-12-05T06:00:00Z'),
    endsAt: Date.parse('2026-12-05T18:00:00Z'),
  };

  it('accepts a good window and picks the other site as destination', () => {
    expect(validateWindow(draft, ctx)).toMatchObject({
      site: 'lognes',
      destination: 'site5',
      reason: 'UPS test',
    });
  });

  it.each([
    [{ site: 'site6' }, 'MAINT_UNKNOWN_SITE', /unknown site "site6"/],
    [{ endsAt: Date.parse('2026-12-05T05:00:00Z') }, 'MAINT_END_BEFORE_START', /ends .* before it starts/],
    [{ startsAt: Date.parse('2026-10-01T05:00:00Z') }, 'MAINT_IN_PAST', /starts in the past/],
    [{ reason: '  ' }, 'MAINT_BAD_REASON', /reason is empty/],
    [{ site: 'site5' }, 'MAINT_OVERLAP', /site5 already has maintenance mw-abc123/],
  ])('refuses %o with %s', (change, code, message) => {
    const err = errorOf(() => validateWindow({ ...draft, ...change }, ctx));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(err.hint).toBeTruthy();
  });

  it('ignores cancelled windows and the window being edited when checking overlap', () => {
    const site5 = { ...draft, site: 'site5' };
    expect(() =>
      validateWindow(site5, { ...ctx, existing: [windowFixture({ state: 'cancelled' })] }),
    ).not.toThrow();
    expect(() => validateWindow(site5, { ...ctx, editing: 'mw-abc123' })).not.toThrow();
  });
});

describe('grammar', () => {
  it('parses schedule with quoted times and reason', () => {
    expect(
      parseMaintenance(
        'schedule site5 --from "2026-12-05 07:00" --to "2026-12-06 19:00" --reason "New UPS" --mode cold',
      ),
    ).toEqual({
      verb: 'schedule',
      site: 'site5',
      from: '2026-12-05 07:00',
      to: '2026-12-06 19:00',
      reason: 'New UPS',
      mode: 'cold',
      destination: null,
    });
    expect(parseMaintenance('edit mw-abc123 --to "2026-12-06 20:00"')).toMatchObject({
      verb: 'edit',
      to: '2026-12-06 20:00',
    });
    expect(parseMaintenance('cancel mw-abc123')).toEqual({ verb: 'cancel', id: 'mw-abc123' });
    expect(parseMaintenance('list --all')).toEqual({ verb: 'list', all: true });
  });

  it.each([
    ['schedule site5 --from 2026-12-05 07:00 --to x --reason y', /unexpected "07:00".*quote/],
    ['schedule site5 --to x --reason y', /missing --from/],
    ['schedule site5 --from a --to b --reason c --mode warm', /--mode must be cold, hot or zerto/],
    ['edit mw-abc123', /nothing to change/],
    ['show 42', /not a maintenance ID/],
    ['reschedule', /unknown subcommand "reschedule"/],
  ])('%s → usage error', (text, message) => {
    const err = errorOf(() => parseMaintenance(text));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(message);
    expect(err.hint).toMatch(/^Usage: /);
  });
});

describe('operators', () => {
  it('lets configured operators act and refuses others with a hint', () => {
    expect(() => requireOperator('U0ALICE', { operators: ['U0ALICE'] })).not.toThrow();
    expect(() => requireOperator(null, { operators: [] })).not.toThrow();
    const err = errorOf(() => requireOperator('U0MALLORY', { operators: ['U0ALICE'] }));
    expect(err.code).toBe('MAINT_NOT_OPERATOR');
    expect(err.hint).toContain('--as');
  });
});

describe('messages', () => {
  const { inventory, plan } = maintenanceWorld();
  const w = windowFixture({ impact: impactFromPlan(plan, inventory.vms, attrs), reason: 'UPS <b> & co' });

  it('announcement: site, Slack dates, escaped reason, impact per service with owners', () => {
    const m = renderAnnouncement(w, { type: 'scheduled' });
    const text = JSON.stringify(m.blocks);
    expect(m.text).toContain('Power maintenance scheduled on site5: 2026-12-05 07:00 (UTC+01:00)');
    expect(text).toContain('<!date^1796450400^{date_long_pretty} {time}|2026-12-05 07:00 (UTC+01:00)>');
    expect(text).toContain('UPS &lt;b&gt; &amp; co');
    expect(text).toContain('*web*: down for about 3 min <@U0WEBOWNER>');
    expect(text).toContain('*dns*: down for about 3 min <!subteam^S0NETTEAM>');
    expect(text).toContain('*erp*: one reboot (about 5 min)');
    expect(text).toContain('*mail*: no interruption');
    expect(renderAnnouncement(w, { type: 'reminder', offset: '1d' }).text).toMatch(/^Reminder: .* in 1 day/);
  });

  it('prompts carry buttons whose value names the window, site, destination and mode', () => {
    const start = renderStartPrompt({ ...w, mode: 'cold' }, '2h');
    expect(start.text).toMatch(/^Maintenance of site5 starts in 2 h/);
    const actions = start.blocks.find((b) => b.type === 'actions');
    expect(actions?.type === 'actions' && actions.elements[0]?.action_id).toBe(ACTION_RUN_PREFLIGHT);
    expect(actions?.type === 'actions' && JSON.parse(actions.elements[0]?.value ?? '')).toEqual({
      windowId: 'mw-abc123',
      site: 'site5',
      destination: 'lognes',
      mode: 'cold',
    });
    const end = renderEndPrompt(w);
    expect(end.text).toMatch(/^Power is back on site5/);
    expect(JSON.stringify(end.blocks)).toContain(ACTION_START_FAILBACK);
    const warn = renderPreflightWarning(w, {
      blocked: true,
      blockers: ['host esx-lognes-01 in maintenance'],
    });
    expect(JSON.stringify(warn.blocks)).toContain('host esx-lognes-01 in maintenance');
  });

  it('status view: upcoming windows with their state and run links', () => {
    const now = Date.parse('2026-11-01T00:00:00Z');
    const windows = [
      windowFixture({
        id: 'mw-000002',
        state: 'migrating',
        runs: { migrate: { runId: 'r-1', channel: 'C1', ts: '1.2', permalink: 'https://slack/p1' } },
      }),
      windowFixture({ id: 'mw-000001', state: 'cancelled' }),
      windowFixture({ id: 'mw-000003', startsAt: '2026-01-01T00:00:00Z', endsAt: '2026-01-02T00:00:00Z' }),
    ];
    const shown = visibleWindows(windows, now, false);
    expect(shown.map((x) => x.id)).toEqual(['mw-000002']);
    expect(renderListText(shown)).toContain('migrating');
    expect(renderListText(shown)).toContain('migration r-1 https://slack/p1');
    expect(visibleWindows(windows, now, true)).toHaveLength(3);
  });
});

describe('iCalendar', () => {
  const long = `Replacement of the main transformer, ${'très '.repeat(30)}long; with commas, semicolons and a\nnew line`;
  const windows = [
    windowFixture({ reason: long, version: 2 }),
    windowFixture({ id: 'mw-def456', site: 'lognes', destination: 'site5', state: 'cancelled' }),
  ];
  const ics = renderIcs(windows, { now: Date.parse('2026-11-02T08:00:00Z'), domain: 'bascule.test' });

  it('folds at 75 octets with CRLF and escapes text', () => {
    for (const line of ics.split('\r\n')) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
    expect(ics.endsWith('END:VCALENDAR\r\n')).toBe(true);
    expect(escapeText('a;b,c\\d\ne')).toBe('a\\;b\\,c\\\\d\\ne');
    // A multi-byte character is never split.
    expect(
      foldLine(`X:${'é'.repeat(80)}`)
        .split('\r\n')
        .every((l) => !l.includes('\ufffd')),
    ).toBe(true);
  });

  it('parses back with ical.js: UIDs, UTC times, status, text', () => {
    const cal = new ICAL.Component(ICAL.parse(ics));
    const events = cal.getAllSubcomponents('vevent');
    expect(events).toHaveLength(2);
    const [first, second] = events.map((e) => new ICAL.Event(e));
    expect(first?.uid).toBe('mw-abc123@bascule.test');
    expect(first?.startDate.toJSDate().toISOString()).toBe('2026-12-05T06:00:00.000Z');
    expect(first?.endDate.toJSDate().toISOString()).toBe('2026-12-06T18:00:00.000Z');
    expect(first?.startDate.zone?.tzid).toBe('UTC');
    expect(first?.description).toContain(long);
    expect(first?.sequence).toBe(2);
    expect(first?.summary).toBe('Power maintenance: site5');
    expect(events[0]?.getFirstPropertyValue('dtstamp')?.toString()).toBe('2026-11-02T08:00:00Z');
    expect(second?.uid).toBe('mw-def456@bascule.test');
    expect(events[1]?.getFirstPropertyValue('status')).toBe('CANCELLED');
  });
});
