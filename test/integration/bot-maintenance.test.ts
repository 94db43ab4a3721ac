import { randomBytes } from 'node:crypto';
import ICAL from 'ical.js';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSlackDriver,
  labChannels,
  labUsers,
  type SlackDriver,
  type SlackSim,
  startSlackSim,
} from '../../lab/slack/index.js';
import { type Bot, createBot } from '../../src/bot/app.js';
import { APPROVE_ACTION } from '../../src/bot/blocks/approval-prompt.js';
import type { Topology } from '../../src/config/schema.js';
import {
  ACTION_RUN_PREFLIGHT,
  ACTION_START_FAILBACK,
  renderEndPrompt,
  renderStartPrompt,
} from '../../src/domain/maintenance/messages.js';
import { runPreflight } from '../../src/domain/preflight/run-preflight.js';
import { slackSender } from '../../src/jobs/maintenance/sender.js';
import { freePort } from '../support/free-port.js';
import { maintenanceWorld, PARIS } from '../support/maintenance-fixtures.js';
import { buildTopology, cold, hot, preflightInput, zerto } from '../support/preflight-fixtures.js';
import { deleteKeysUnder } from '../support/redis-keys.js';

// /maintenance and the maintenance buttons end to end, kept lean: the real Bolt app on its HTTP
// receiver driven with signed requests, the Slack stand-in, real Redis under a random prefix, and
// an in-memory preflight (the fixture inventory) instead of a lab: no run engine, runs stay
// awaiting approval. Tests share the bot and run in file order.

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const infra = labChannels.infra.id;
const announce = labChannels.announce.id;
const alice = labUsers.operator.id;
const dave = labUsers.outsider.id;

let sim: SlackSim;
let redis: Redis;
let bot: Bot;
let driver: SlackDriver;
let port: number;
const prefix = `bmb-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  sim = await startSlackSim({ botToken: 'xoxb-bot-maintenance', signingSecret: 'bot-maintenance-secret' });
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const base = buildTopology({ protection: [cold('DS-A'), hot('LV-A'), zerto('VPG-A', ['Z-A'])] });
  const topology: Topology = {
    ...base,
    access: { operators: [alice], channels: [infra] },
    notifications: {
      ...base.notifications,
      timezone: PARIS,
      opsChannel: infra,
      announceChannels: [announce],
    },
  };
  const { inventory } = maintenanceWorld();
  port = await freePort();
  bot = createBot({
    slack: {
      botToken: sim.botToken,
      signingSecret: sim.signingSecret,
      apiUrl: sim.apiUrl,
      appToken: undefined,
    },
    port,
    topology,
    redis,
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    prefix,
    preflight: async (request) => runPreflight(preflightInput({ inventory, topology: base, request })),
  });
  await bot.start();
  driver = createSlackDriver({
    botUrl: `http://127.0.0.1:${port}/slack/events`,
    signingSecret: sim.signingSecret,
    sim,
  });
});

afterAll(async () => {
  await bot?.stop().catch(() => undefined);
  if (redis) {
    await deleteKeysUnder(redis, prefix);
    await redis.quit();
  }
  await sim?.stop();
});

const answers = (url: string) =>
  sim.responses.filter((r) => r.url === url).map((r) => String(r.body.text ?? ''));

async function answer(url: string): Promise<string> {
  await expect.poll(() => answers(url).length, { timeout: 10_000 }).toBeGreaterThan(0);
  return answers(url).join('\n');
}

async function maintenance(text: string, user: string = alice) {
  const res = await driver.slashCommand({ command: '/maintenance', text, user, channel: infra });
  expect(res.status).toBe(200);
  return res;
}

const ackText = (res: { json: unknown }) => String((res.json as { text?: unknown } | null)?.text ?? '');

const year = new Date().getUTCFullYear() + 1;
const schedule = `site5 --from "${year}-03-14 06:00" --to "${year}-03-14 12:00" --reason "UPS replacement"`;
let windowId = '';

describe('/maintenance', () => {
  it('an operator schedules a window: announced in the announce channel, confirmed ephemerally', async () => {
    const res = await maintenance(`schedule ${schedule}`);
    const text = await answer(res.responseUrl);
    windowId = /Scheduled `(mw-[a-z0-9]+)`/.exec(text)?.[1] ?? '';
    expect(windowId).not.toBe('');
    expect(text).toContain(`Announced in <#${announce}>`);
    expect(sim.responses.find((r) => r.url === res.responseUrl)?.body.response_type).toBe('ephemeral');
    const posted = sim.store.messages.filter((m) => m.channel === announce);
    expect(posted.some((m) => JSON.stringify(m).includes('UPS replacement'))).toBe(true);
    expect((await bot.maintenance.service.show(windowId)).createdBy).toBe(alice);
  });

  it('refuses a non-operator ephemerally and stores nothing', async () => {
    const before = (await bot.maintenance.service.list(true)).length;
    const res = await maintenance(
      `schedule lognes --from "${year}-04-01 06:00" --to "${year}-04-01 08:00" --reason nope`,
      dave,
    );
    expect(await answer(res.responseUrl)).toMatch(/U0LABDAVE1 is not an operator/);
    expect((await bot.maintenance.service.list(true)).length).toBe(before);
  });

  it('answers bad input with the usage in the acknowledgement', async () => {
    const before = sim.store.messages.length;
    const res = await maintenance('schedule site5 --from tomorrow');
    expect((res.json as { response_type?: string }).response_type).toBe('ephemeral');
    expect(ackText(res)).toMatch(/Usage: \/maintenance schedule SITE/);
    expect(ackText(await maintenance('frobnicate'))).toMatch(/unknown subcommand "frobnicate"/);
    expect(sim.store.messages.length).toBe(before);
  });

  it('lists and shows the window', async () => {
    expect(await answer((await maintenance('list')).responseUrl)).toContain('1 maintenance window(s)');
    const listed = sim.responses.filter((r) => JSON.stringify(r.body.blocks ?? []).includes(windowId));
    expect(listed.length).toBeGreaterThan(0);
    expect(await answer((await maintenance(`show ${windowId}`)).responseUrl)).toContain('UPS replacement');
  });
});

describe('maintenance buttons', () => {
  it('Run preflight starts the /migrate flow in a thread and marks the window migrating', async () => {
    const w = await bot.maintenance.service.show(windowId);
    const prompt = await slackSender(bot.app.client).post(infra, renderStartPrompt(w, '2h'));
    // A non-operator's click is refused and changes nothing.
    const refused = await driver.blockAction({
      user: dave,
      channel: infra,
      messageTs: prompt.ts,
      actionId: ACTION_RUN_PREFLIGHT,
    });
    expect(await answer(refused.responseUrl)).toMatch(/Only operators/);
    expect((await bot.maintenance.service.show(windowId)).state).toBe('scheduled');

    const after = sim.store.messages.length;
    const res = await driver.blockAction({
      user: alice,
      channel: infra,
      messageTs: prompt.ts,
      actionId: ACTION_RUN_PREFLIGHT,
    });
    expect(res.status).toBe(200);
    await expect
      .poll(async () => (await bot.maintenance.service.show(windowId)).state, { timeout: 20_000 })
      .toBe('migrating');
    const parent = sim.store.messages
      .slice(after)
      .find(
        (m) =>
          m.channel === infra &&
          (m.thread_ts === undefined || m.thread_ts === m.ts) &&
          m.text.includes('/migrate site5 --to lognes'),
      );
    expect(parent).toBeDefined();
    const thread = sim.store.messages.filter((m) => m.thread_ts === parent?.ts && m.ts !== parent?.ts);
    expect(thread.some((m) => JSON.stringify(m.blocks ?? []).includes(APPROVE_ACTION))).toBe(true);
    const link = (await bot.maintenance.service.show(windowId)).runs.migrate;
    expect(link).toMatchObject({ channel: infra, ts: parent?.ts });
    expect(await bot.ctx.control.store.get(link?.runId ?? '')).toMatchObject({ status: 'awaiting-approval' });
    expect(await answer(res.responseUrl)).toContain('now migrating');
  });

  it('Start failback starts the /failback flow and marks the window failing-back', async () => {
    // The migration run must give up its locks first: cancel it (never approved).
    const runId = (await bot.maintenance.service.show(windowId)).runs.migrate?.runId ?? '';
    await bot.ctx.control.cancel(runId, alice);
    const w = await bot.maintenance.service.show(windowId);
    const prompt = await slackSender(bot.app.client).post(infra, renderEndPrompt(w));
    await driver.blockAction({
      user: alice,
      channel: infra,
      messageTs: prompt.ts,
      actionId: ACTION_START_FAILBACK,
    });
    await expect
      .poll(async () => (await bot.maintenance.service.show(windowId)).state, { timeout: 20_000 })
      .toBe('failing-back');
    expect((await bot.maintenance.service.show(windowId)).runs.failback?.runId).toBeTruthy();
  });
});

describe('GET /maintenance.ics', () => {
  it('serves text/calendar that ical.js parses', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/maintenance.ics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/calendar/);
    const events = new ICAL.Component(ICAL.parse(await res.text()))
      .getAllSubcomponents('vevent')
      .map((e) => new ICAL.Event(e));
    expect(events.map((e) => e.uid.split('@')[0])).toContain(windowId);
  });
});
