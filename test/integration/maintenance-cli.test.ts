import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import ICAL from 'ical.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runMaintenance } from '../../src/cli/commands/maintenance.js';
import { main } from '../../src/cli/main.js';
import type { CliContext } from '../../src/cli/types.js';
import { isBasculeError } from '../../src/domain/errors.js';
import type { MaintenanceWindow } from '../../src/domain/maintenance/types.js';
import { maintenanceIcsRoute } from '../../src/jobs/maintenance/ics-route.js';
import {
  createMaintenanceHarness,
  type MaintenanceHarness,
  OPERATOR,
} from '../support/maintenance-harness.js';

// `bascule maintenance …` against real Redis (random prefix) and the Slack stand-in.

let h: MaintenanceHarness;

beforeEach(async () => {
  h = await createMaintenanceHarness();
});
afterEach(async () => {
  await h.cleanup();
});

interface Captured {
  ctx: CliContext;
  stdout: () => string;
  stderr: () => string;
}

function capture(env: Record<string, string | undefined> = {}): Captured {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (c: Buffer) => {
    o += c.toString();
  });
  err.on('data', (c: Buffer) => {
    e += c.toString();
  });
  return { ctx: { env, stdout: out, stderr: err, cwd: process.cwd() }, stdout: () => o, stderr: () => e };
}

const cli = (args: string[], env: Record<string, string | undefined> = {}) => {
  const c = capture(env);
  return runMaintenance(args, c.ctx, { service: h.service, announces: true }).then((code) => ({
    code,
    ...c,
  }));
};

describe('bascule maintenance', () => {
  it('schedule (with --as), list, show, edit (via BASCULE_OPERATOR), cancel, ics', async () => {
    const scheduled = await cli([
      'schedule',
      'site5',
      '--from',
      '2026-12-05 07:00',
      '--to',
      '2026-12-06 19:00',
      '--reason',
      'Transformer replacement',
      '--as',
      OPERATOR,
      '--json',
    ]);
    expect(scheduled.code).toBe(0);
    const w = (JSON.parse(scheduled.stdout()) as { window: MaintenanceWindow }).window;
    expect(w).toMatchObject({ site: 'site5', createdBy: OPERATOR, startsAt: '2026-12-05T06:00:00.000Z' });

    const list = await cli(['list']);
    expect(list.stdout()).toContain(`${w.id}  site5 → lognes  scheduled`);
    expect(list.stdout()).toContain(
      'from 2026-12-05 07:00 (UTC+01:00) to 2026-12-06 19:00 (UTC+01:00) Europe/Paris',
    );

    const edited = await cli(['edit', w.id, '--to', '2026-12-06 21:00'], { BASCULE_OPERATOR: OPERATOR });
    expect(edited.stdout()).toMatch(/^Changed mw-/);
    expect(edited.stdout()).toContain('end-prompt    2026-12-06 21:00 (UTC+01:00)');
    expect(edited.stdout()).toContain('Announced in C0LABANNOUNCE.');

    const shown = await cli(['show', w.id, '--json']);
    expect((JSON.parse(shown.stdout()) as MaintenanceWindow).endsAt).toBe('2026-12-06T20:00:00.000Z');

    const ics = await cli(['ics']);
    expect(ics.stdout()).toMatch(/^BEGIN:VCALENDAR\r\n/);
    expect(ics.stdout()).toContain(`UID:${w.id}@bascule`);

    const cancelled = await cli(['cancel', w.id, `--as=${OPERATOR}`]);
    expect(cancelled.stdout()).toMatch(/^Cancelled mw-/);
    expect((await cli(['list'])).stdout()).toBe('No maintenance window scheduled.\n');
    expect((await cli(['list', '--all'])).stdout()).toContain('cancelled');
  });

  it('refuses a non-operator and a missing identity, with a hint about --as', async () => {
    const args = [
      'schedule',
      'site5',
      '--from',
      '2026-12-05 07:00',
      '--to',
      '2026-12-05 19:00',
      '--reason',
      'x',
    ];
    for (const extra of [[], ['--as', 'U0LABDAVE1']]) {
      const err = await cli([...args, ...extra]).catch((e: unknown) => e);
      expect(isBasculeError(err) && err.code).toBe('MAINT_NOT_OPERATOR');
      expect(isBasculeError(err) && err.hint).toContain('--as');
    }
    expect(await h.store.list()).toEqual([]);
  });

  it('usage errors exit 2 through main, before touching Redis', async () => {
    const c = capture({ BASCULE_CONFIG: 'config/sites.example.yaml', REDIS_URL: 'redis://127.0.0.1:1' });
    const code = await main(['maintenance', 'schedule', 'site5', '--from', '2026-12-05', '07:00'], c.ctx);
    expect(code).toBe(2);
    expect(c.stderr()).toContain('bascule maintenance: unexpected "07:00"');
  });
});

describe('GET /maintenance.ics', () => {
  it('serves the feed as text/calendar and leaves other paths to the receiver', async () => {
    await cli([
      'schedule',
      'site5',
      '--from',
      '2026-12-05 07:00',
      '--to',
      '2026-12-05 19:00',
      '--reason',
      'UPS',
      '--as',
      OPERATOR,
    ]);
    const route = maintenanceIcsRoute(h.service, 'bascule.test');
    const server = createServer((req, res) => {
      void route(req, res).then((handled) => {
        if (!handled) res.writeHead(404).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const res = await fetch(`${base}/maintenance.ics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
      const events = new ICAL.Component(ICAL.parse(await res.text())).getAllSubcomponents('vevent');
      expect(events).toHaveLength(1);
      expect((await fetch(`${base}/other`)).status).toBe(404);
      expect((await fetch(`${base}/maintenance.ics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
