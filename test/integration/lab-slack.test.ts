import { type Logger, LogLevel, WebClient, WebClientEvent } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  labChannels,
  labGroups,
  labUsers,
  type SlackSim,
  siteChannelId,
  startSlackSim,
} from '../../lab/slack/index.js';

// The Slack stand-in driven by the real @slack/web-api client, the way the bot will call it.

const botToken = 'xoxb-lab-test-token';
const site5 = siteChannelId('site5');
let sim: SlackSim;
let slack: WebClient;

// WebClient logs Slack's error details; the assertions below check them instead.
const quiet: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};

function client(options: ConstructorParameters<typeof WebClient>[1] = {}, token: string | null = botToken) {
  return new WebClient(token ?? undefined, {
    slackApiUrl: sim.apiUrl,
    logger: quiet,
    retryConfig: { retries: 0 },
    ...options,
  });
}

async function slackError(p: Promise<unknown>): Promise<{ code?: string; data?: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    return err as { code?: string; data?: Record<string, unknown> };
  }
  throw new Error('expected the call to fail');
}

async function errorName(p: Promise<unknown>): Promise<unknown> {
  const err = await slackError(p);
  expect(err.code).toBe('slack_webapi_platform_error');
  return err.data?.error;
}

beforeAll(async () => {
  sim = await startSlackSim({ botToken, signingSecret: 'lab-signing-secret' });
  slack = client();
});

afterAll(async () => {
  await sim?.stop();
});

beforeEach(async () => {
  await sim.control.reset();
});

describe('Slack stand-in, Web API methods', () => {
  it('answers auth.test with the bot identity and records the call without the token', async () => {
    const r = await slack.auth.test();
    expect(r).toMatchObject({ ok: true, user_id: 'U0LABBOT01', bot_id: 'B0LABBOT01', team_id: 'T0LABTEAM1' });
    expect(sim.calls).toHaveLength(1);
    expect(sim.calls[0]).toMatchObject({ method: 'auth.test', status: 200, ok: true });
    expect(sim.calls[0]?.contentType).toMatch(/x-www-form-urlencoded/);
    expect(JSON.stringify(sim.calls)).not.toContain(botToken);
  });

  it('keeps messages with Slack timestamps, blocks, threads and broadcasts', async () => {
    const blocks = [
      { type: 'section', text: { type: 'mrkdwn', text: '*Migration* site5 → lognes' } },
      {
        type: 'actions',
        elements: [{ type: 'button', text: { type: 'plain_text', text: 'Approve' }, value: 'run-1' }],
      },
    ];
    const parent = await slack.chat.postMessage({ channel: site5, text: 'Migration planned', blocks });
    expect(parent.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(parent.channel).toBe(site5);
    const stored = sim.store.message(site5, parent.ts as string);
    // Slack fills in the ids the app left out; block_actions payloads carry them.
    expect(stored?.blocks?.[0]).toMatchObject({ block_id: expect.any(String) });
    expect(stored?.blocks?.[1]).toMatchObject({
      elements: [{ action_id: expect.any(String), value: 'run-1' }],
    });
    expect(sim.calls[0]?.body.blocks).toEqual(blocks);

    const reply = await slack.chat.postMessage({
      channel: site5,
      text: 'step 1 done',
      thread_ts: parent.ts as string,
    });
    const broadcast = await slack.chat.postMessage({
      channel: site5,
      text: 'all done',
      thread_ts: reply.ts as string,
      reply_broadcast: true,
    });
    expect(Number(reply.ts)).toBeGreaterThan(Number(parent.ts));
    expect(broadcast.message).toMatchObject({ thread_ts: parent.ts, subtype: 'thread_broadcast' });
    expect(sim.store.message(site5, parent.ts as string)).toMatchObject({
      reply_count: 2,
      latest_reply: broadcast.ts,
    });
    expect(sim.store.thread(site5, parent.ts as string).map((m) => m.text)).toEqual([
      'Migration planned',
      'step 1 done',
      'all done',
    ]);
  });

  it('edits messages with chat.update and refuses other people’s messages', async () => {
    const posted = await slack.chat.postMessage({ channel: site5, text: 'running' });
    const updated = await slack.chat.update({ channel: site5, ts: posted.ts as string, text: 'finished' });
    expect(updated).toMatchObject({ ok: true, ts: posted.ts, text: 'finished' });
    expect(sim.store.message(site5, posted.ts as string)).toMatchObject({
      text: 'finished',
      edited: { user: 'U0LABBOT01' },
    });
    const human = await sim.control.postAsUser({ channel: site5, user: labUsers.operator.id, text: 'hello' });
    expect(await errorName(slack.chat.update({ channel: site5, ts: human.ts, text: 'x' }))).toBe(
      'cant_update_message',
    );
    expect(await errorName(slack.chat.update({ channel: site5, ts: '1700000000.000100', text: 'x' }))).toBe(
      'message_not_found',
    );
  });

  it('posts ephemerals, permalinks and reads channels, users and user groups', async () => {
    const eph = await slack.chat.postEphemeral({
      channel: site5,
      user: labUsers.approver.id,
      text: 'only you',
    });
    expect(sim.store.ephemerals).toEqual([
      expect.objectContaining({ user: labUsers.approver.id, message_ts: eph.message_ts }),
    ]);
    expect(await errorName(slack.chat.postEphemeral({ channel: site5, user: 'U0NOBODY', text: 'x' }))).toBe(
      'user_not_found',
    );

    const posted = await slack.chat.postMessage({ channel: site5, text: 'link me' });
    const link = await slack.chat.getPermalink({ channel: site5, message_ts: posted.ts as string });
    expect(link.permalink).toBe(
      `https://bascule-lab.slack.com/archives/${site5}/p${(posted.ts as string).replace('.', '')}`,
    );
    expect(await errorName(slack.chat.getPermalink({ channel: site5, message_ts: '1.000001' }))).toBe(
      'message_not_found',
    );

    const info = await slack.conversations.info({ channel: labChannels.random.id });
    expect(info.channel).toMatchObject({
      id: labChannels.random.id,
      name: 'random',
      is_member: false,
      is_private: false,
    });
    expect(await errorName(slack.conversations.info({ channel: 'C0NOPE' }))).toBe('channel_not_found');

    const admins = await slack.usergroups.users.list({ usergroup: labGroups.admins.id });
    expect(admins.users).toEqual([labUsers.approver.id, labUsers.approver2.id]);
    expect(await errorName(slack.usergroups.users.list({ usergroup: 'S0NOPE' }))).toBe('no_such_subteam');

    const user = await slack.users.info({ user: labUsers.operator.id });
    expect(user.user).toMatchObject({
      id: labUsers.operator.id,
      name: 'alice',
      real_name: 'Alice Operator',
      deleted: false,
    });
    expect(await errorName(slack.users.info({ user: 'U0NOPE' }))).toBe('user_not_found');
  });

  it('opens a modal once per trigger id and checks the modal limits', async () => {
    const view = {
      type: 'modal' as const,
      callback_id: 'confirm',
      title: { type: 'plain_text' as const, text: 'Confirm migration' },
      submit: { type: 'plain_text' as const, text: 'Start' },
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Move 24 VMs?' } }],
    };
    const { triggerId } = await sim.control.issue({ kind: 'view', user: labUsers.operator.id });
    const opened = await slack.views.open({ trigger_id: triggerId, view });
    expect(opened.view).toMatchObject({
      id: expect.stringMatching(/^V/),
      callback_id: 'confirm',
      type: 'modal',
    });
    expect(sim.store.views[0]?.user).toBe(labUsers.operator.id);
    expect(await errorName(slack.views.open({ trigger_id: triggerId, view }))).toBe('invalid_trigger_id');

    const { triggerId: second } = await sim.control.issue({ kind: 'view', user: labUsers.operator.id });
    const longTitle = {
      ...view,
      title: { type: 'plain_text' as const, text: 'A title far longer than Slack allows' },
    };
    const err = await slackError(slack.views.open({ trigger_id: second, view: longTitle }));
    expect(err.data).toMatchObject({
      error: 'invalid_arguments',
      response_metadata: { messages: [expect.stringContaining('/view/title/text')] },
    });

    const late = await startSlackSim({ botToken, signingSecret: 'x'.repeat(16), triggerTtlMs: 0 });
    try {
      const { triggerId: expired } = await late.control.issue({ kind: 'view', user: labUsers.operator.id });
      const lateClient = new WebClient(botToken, { slackApiUrl: late.apiUrl, logger: quiet });
      expect(await errorName(lateClient.views.open({ trigger_id: expired, view }))).toBe(
        'expired_trigger_id',
      );
    } finally {
      await late.stop();
    }
  });
});

describe('Slack stand-in, errors for bad input', () => {
  it('answers Slack’s error names', async () => {
    const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
    const post = (args: Record<string, unknown>) => slack.apiCall('chat.postMessage', args);
    expect(await errorName(post({ channel: 'C0NOPE', text: 'x' }))).toBe('channel_not_found');
    expect(await errorName(post({ text: 'x' }))).toBe('channel_not_found');
    expect(await errorName(post({ channel: site5 }))).toBe('no_text');
    expect(await errorName(post({ channel: site5, text: 'x'.repeat(40_001) }))).toBe('msg_too_long');
    expect(await errorName(post({ channel: labChannels.random.id, text: 'x' }))).toBe('not_in_channel');
    expect(await errorName(post({ channel: labChannels.archived.id, text: 'x' }))).toBe('is_archived');
    expect(await errorName(post({ channel: site5, text: 'x', thread_ts: '1700000000.0001' }))).toBe(
      'invalid_thread_ts',
    );
    expect(await errorName(post({ channel: site5, text: 'x', thread_ts: '1700000000.000100' }))).toBe(
      'thread_not_found',
    );

    const tooMany = await slackError(
      post({ channel: site5, text: 'x', blocks: Array.from({ length: 51 }, () => section('x')) }),
    );
    expect(tooMany.data).toMatchObject({
      error: 'invalid_blocks',
      errors: [expect.stringContaining('no more than 50 items')],
    });
    const tooLong = await slackError(
      post({ channel: site5, text: 'x', blocks: [section('x'.repeat(3001))] }),
    );
    expect(tooLong.data).toMatchObject({
      error: 'invalid_blocks',
      errors: ['must be less than 3001 characters [json-pointer:/blocks/0/text/text]'],
    });
    // Exactly at the limits is accepted.
    await post({
      channel: site5,
      text: 'x',
      blocks: [section('x'.repeat(3000)), ...Array.from({ length: 49 }, () => section('y'))],
    });

    expect(await errorName(slack.apiCall('nope.nothing'))).toBe('unknown_method');
    expect(await errorName(client({}, 'xoxb-wrong').auth.test())).toBe('invalid_auth');
    expect(await errorName(client({}, null).auth.test())).toBe('not_authed');
    expect(sim.calls.filter((c) => !c.ok).every((c) => c.status === 200 && typeof c.error === 'string')).toBe(
      true,
    );
  });

  it('accepts JSON bodies with a bearer token, and form bodies with the token as a field', async () => {
    const json = await fetch(`${sim.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${botToken}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: site5, text: 'json', blocks: [{ type: 'divider' }] }),
    });
    expect(await json.json()).toMatchObject({ ok: true, message: { text: 'json' } });
    // A JSON body cannot authenticate itself: the token must be in the header.
    const jsonToken = await fetch(`${sim.apiUrl}auth.test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: botToken }),
    });
    expect(await jsonToken.json()).toMatchObject({ ok: false, error: 'not_authed' });
    const form = await fetch(`${sim.apiUrl}auth.test`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: botToken }).toString(),
    });
    expect(await form.json()).toMatchObject({ ok: true });
    const badJson = await fetch(`${sim.apiUrl}auth.test`, {
      method: 'POST',
      headers: { authorization: `Bearer ${botToken}`, 'content-type': 'application/json' },
      body: '{"channel":',
    });
    expect(await badJson.json()).toMatchObject({ ok: false, error: 'invalid_json' });
    const badBlocks = await fetch(`${sim.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${botToken}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ channel: site5, text: 'x', blocks: '[{"type":' }).toString(),
    });
    expect(await badBlocks.json()).toMatchObject({ ok: false, error: 'invalid_blocks_format' });
  });
});

describe('Slack stand-in, rate limits and outages', () => {
  it('answers 429 with Retry-After, and WebClient waits that long before retrying', async () => {
    const retrying = client({ retryConfig: { retries: 2, factor: 1, minTimeout: 10, maxTimeout: 10 } });
    const announced: number[] = [];
    retrying.on(WebClientEvent.RATE_LIMITED, (sec: number) => announced.push(sec));
    await sim.control.fault({ kind: 'rate-limit', calls: 1, retryAfterSec: 1 });
    const r = await retrying.chat.postMessage({ channel: site5, text: 'after the limit' });
    expect(r.ok).toBe(true);
    expect(announced).toEqual([1]);
    const [limited, retried] = sim.calls;
    expect(sim.calls).toHaveLength(2);
    expect(limited).toMatchObject({ method: 'chat.postMessage', status: 429, error: 'ratelimited' });
    expect(retried).toMatchObject({ method: 'chat.postMessage', status: 200, ok: true });
    // Retry-After: 1 means the second request cannot arrive sooner than a second after the first.
    expect((retried?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(1000);
    expect(sim.store.messages).toHaveLength(1);
  });

  it('rate-limits only the named method, and reports the delay to clients that do not wait', async () => {
    const impatient = client({ rejectRateLimitedCalls: true });
    await sim.control.fault({ kind: 'rate-limit', method: 'chat.update', calls: 2, retryAfterSec: 7 });
    const posted = await impatient.chat.postMessage({ channel: site5, text: 'x' });
    const err = (await slackError(
      impatient.chat.update({ channel: site5, ts: posted.ts as string, text: 'y' }),
    )) as {
      code?: string;
      retryAfter?: number;
    };
    expect(err).toMatchObject({ code: 'slack_webapi_rate_limited_error', retryAfter: 7 });
    await slackError(impatient.chat.update({ channel: site5, ts: posted.ts as string, text: 'y' }));
    await impatient.chat.update({ channel: site5, ts: posted.ts as string, text: 'y' });
    expect(sim.calls.map((c) => `${c.method}:${c.status}`)).toEqual([
      'chat.postMessage:200',
      'chat.update:429',
      'chat.update:429',
      'chat.update:200',
    ]);
  });

  it('rate-limits every call during a window', async () => {
    const retrying = client({ retryConfig: { retries: 5, factor: 1, minTimeout: 10, maxTimeout: 10 } });
    const windowMs = 1200;
    const start = Date.now();
    await sim.control.fault({ kind: 'rate-limit', forMs: windowMs, retryAfterSec: 1 });
    const armed = Date.now();
    await retrying.auth.test();
    const statuses = sim.calls.map((c) => c.status);
    expect(statuses.at(-1)).toBe(200);
    expect(statuses.slice(0, -1).every((s) => s === 429)).toBe(true);
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    for (const c of sim.calls.slice(0, -1)) expect(c.at).toBeLessThan(armed + windowMs);
    expect(sim.calls.at(-1)?.at).toBeGreaterThanOrEqual(start + windowMs);
  });

  it('answers 500 while an outage lasts', async () => {
    await sim.control.fault({ kind: 'server-error', calls: 1 });
    const err = await slackError(slack.chat.postMessage({ channel: site5, text: 'x' }));
    expect(err.code).toBe('slack_webapi_http_error');
    expect((err as { statusCode?: number }).statusCode).toBe(500);
    const patient = client({ retryConfig: { retries: 1, factor: 1, minTimeout: 10, maxTimeout: 10 } });
    await sim.control.fault({ kind: 'server-error', calls: 1 });
    expect((await patient.chat.postMessage({ channel: site5, text: 'x' })).ok).toBe(true);
    await sim.control.fault({ kind: 'server-error', forMs: 60_000 });
    await slackError(slack.auth.test());
    await sim.control.clearFaults();
    expect((await slack.auth.test()).ok).toBe(true);
    expect(sim.calls.map((c) => c.status)).toEqual([500, 500, 200, 500, 200]);
  });
});

describe('Slack stand-in, response_url', () => {
  it('posts ephemeral and in-channel replies, and accepts five posts per URL', async () => {
    const { responseUrl } = await sim.control.issue({
      kind: 'command',
      channel: site5,
      user: labUsers.operator.id,
    });
    expect(responseUrl).toMatch(new RegExp(`^${sim.url}/commands/T0LABTEAM1/\\d+/[0-9a-f]+$`));
    const post = (body: unknown) =>
      fetch(responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post({ text: 'working on it' })).status).toBe(200);
    expect((await post({ text: 'started', response_type: 'in_channel' })).status).toBe(200);
    const noText = await post({ response_type: 'in_channel' });
    expect(await noText.json()).toMatchObject({ ok: false, error: 'no_text' });
    expect(sim.store.ephemerals).toEqual([
      expect.objectContaining({ user: labUsers.operator.id, text: 'working on it', via: 'response_url' }),
    ]);
    expect(sim.store.messages).toEqual([
      expect.objectContaining({ channel: site5, text: 'started', bot_id: 'B0LABBOT01' }),
    ]);
    for (let i = 0; i < 3; i++) await post({ text: `update ${i}` });
    const sixth = await post({ text: 'one too many' });
    expect(sixth.status).toBe(404);
    expect(await sixth.json()).toMatchObject({ error: 'used_url' });
    expect(sim.responses.map((r) => r.effect)).toEqual([
      'ephemeral',
      'in_channel',
      'rejected',
      'ephemeral',
      'ephemeral',
      'ephemeral',
      'rejected',
    ]);
  });
});
