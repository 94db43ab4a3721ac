import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, LogLevel } from '@slack/bolt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  connectSlackSim,
  createSlackDriver,
  labUsers,
  type SlackDriver,
  type SlackSim,
  siteChannelId,
  startSlackSim,
} from '../../lab/slack/index.js';

// The signed-request driver against a real Bolt app (default HTTP receiver, signature checks on),
// whose Web API client points at the Slack stand-in.

const botToken = 'xoxb-lab-driver-test';
const signingSecret = 'lab-driver-signing-secret';
const channel = siteChannelId('site5');

let sim: SlackSim;
let app: App;
let driver: SlackDriver;
let driverUrl: string;
const seen: { commands: unknown[]; actions: unknown[]; submissions: unknown[]; events: unknown[] } = {
  commands: [],
  actions: [],
  submissions: [],
  events: [],
};

function handlerRuns(): number {
  return seen.commands.length + seen.actions.length + seen.submissions.length + seen.events.length;
}

const planBlocks = [
  { type: 'section', text: { type: 'mrkdwn', text: '*Plan*: 24 VMs from site5 to lognes' } },
  {
    type: 'actions',
    elements: [
      {
        type: 'button',
        action_id: 'approve',
        text: { type: 'plain_text', text: 'Approve' },
        value: 'plan-1',
        style: 'primary',
      },
      {
        type: 'button',
        action_id: 'open_confirm',
        text: { type: 'plain_text', text: 'Start…' },
        value: 'plan-1',
      },
    ],
  },
];

beforeAll(async () => {
  sim = await startSlackSim({ botToken, signingSecret });
  // processBeforeResponse: the HTTP answer comes after the listener finished, so a test reads the
  // listener's effects as soon as the driver's request returns.
  app = new App({
    token: botToken,
    signingSecret,
    processBeforeResponse: true,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: sim.apiUrl, retryConfig: { retries: 0 } },
  });
  app.command('/migrate', async ({ command, ack, respond, client }) => {
    seen.commands.push(command);
    await ack();
    await respond({ text: `Planning ${command.text}` });
    await client.chat.postMessage({ channel: command.channel_id, text: 'Plan', blocks: planBlocks });
  });
  app.action('approve', async ({ ack, action, body, respond }) => {
    seen.actions.push({ action, body });
    await ack();
    await respond({ replace_original: true, text: `Approved by <@${body.user.id}>` });
  });
  app.action('open_confirm', async ({ ack, action, body, client }) => {
    seen.actions.push({ action, body });
    await ack();
    await client.views.open({
      trigger_id: (body as { trigger_id: string }).trigger_id,
      view: {
        type: 'modal',
        callback_id: 'confirm_run',
        title: { type: 'plain_text', text: 'Start migration' },
        submit: { type: 'plain_text', text: 'Start' },
        blocks: [
          {
            type: 'input',
            block_id: 'reason_block',
            label: { type: 'plain_text', text: 'Reason' },
            element: { type: 'plain_text_input', action_id: 'reason' },
          },
        ],
      },
    });
  });
  app.view('confirm_run', async ({ ack, view }) => {
    seen.submissions.push(view);
    const reason = view.state.values.reason_block?.reason?.value;
    if (!reason) await ack({ response_action: 'errors', errors: { reason_block: 'Say why' } });
    else await ack();
  });
  app.event('app_mention', async ({ event, context, body }) => {
    seen.events.push({
      text: event.text,
      retryNum: context.retryNum,
      retryReason: context.retryReason,
      id: body.event_id,
    });
  });
  const server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
  const { port } = server.address() as AddressInfo;
  driverUrl = `http://127.0.0.1:${port}/slack/events`;
  driver = createSlackDriver({ botUrl: driverUrl, signingSecret, sim });
});

afterAll(async () => {
  await app?.stop();
  await sim?.stop();
});

beforeEach(async () => {
  await sim.control.reset();
  seen.commands.length = 0;
  seen.actions.length = 0;
  seen.submissions.length = 0;
  seen.events.length = 0;
});

async function planMessageTs(): Promise<string> {
  await driver.slashCommand({ text: 'site5 --to lognes', user: labUsers.operator.id, channel });
  const plan = sim.store.messages.find((m) => m.text === 'Plan');
  if (!plan) throw new Error('the bot did not post its plan');
  return plan.ts;
}

describe('signed-request driver against a Bolt app', () => {
  it('delivers a signed slash command with Slack’s fields; the bot answers on the response_url', async () => {
    const res = await driver.slashCommand({ text: 'site5 --to lognes', user: labUsers.operator.id, channel });
    expect(res.status).toBe(200);
    expect(seen.commands).toEqual([
      expect.objectContaining({
        command: '/migrate',
        text: 'site5 --to lognes',
        user_id: labUsers.operator.id,
        user_name: 'alice',
        channel_id: channel,
        channel_name: 'ops-site5',
        team_id: 'T0LABTEAM1',
        team_domain: 'bascule-lab',
        api_app_id: 'A0LABAPP01',
        response_url: res.responseUrl,
        trigger_id: res.triggerId,
      }),
    ]);
    expect(sim.responses).toEqual([
      expect.objectContaining({ kind: 'command', effect: 'ephemeral', status: 200 }),
    ]);
    expect(sim.store.ephemerals[0]).toMatchObject({
      user: labUsers.operator.id,
      text: 'Planning site5 --to lognes',
    });
    expect(sim.calls.map((c) => c.method)).toEqual(['auth.test', 'chat.postMessage']);
  });

  it.each([
    ['unsigned', 'unsigned' as const],
    ['signed with another secret', 'wrong-secret' as const],
    ['altered after signing', 'tampered' as const],
    ['replayed six minutes later', { ageSeconds: 360 }],
  ])('rejects a slash command %s before any handler runs', async (_label, signing) => {
    const res = await driver.slashCommand({
      text: 'site5 --to lognes',
      user: labUsers.operator.id,
      channel,
      signing,
    });
    expect(res.status).toBe(401);
    expect(handlerRuns()).toBe(0);
    expect(sim.responses).toHaveLength(0);
    expect(sim.calls.filter((c) => c.method !== 'auth.test')).toHaveLength(0);
  });

  it('clicks a button of the bot’s message; the bot replaces the message via response_url', async () => {
    const ts = await planMessageTs();
    const res = await driver.blockAction({
      user: labUsers.approver.id,
      channel,
      messageTs: ts,
      actionId: 'approve',
    });
    expect(res.status).toBe(200);
    const clicked = seen.actions[0] as { action: Record<string, unknown>; body: Record<string, unknown> };
    expect(clicked.action).toMatchObject({
      action_id: 'approve',
      type: 'button',
      value: 'plan-1',
      block_id: expect.any(String),
    });
    expect(clicked.body).toMatchObject({
      type: 'block_actions',
      user: { id: labUsers.approver.id, username: 'bob', team_id: 'T0LABTEAM1' },
      container: { type: 'message', message_ts: ts, channel_id: channel, is_ephemeral: false },
      channel: { id: channel, name: 'ops-site5' },
      message: { ts, text: 'Plan', bot_id: 'B0LABBOT01' },
      response_url: res.responseUrl,
      trigger_id: res.triggerId,
    });
    expect(sim.store.message(channel, ts)).toMatchObject({ text: `Approved by <@${labUsers.approver.id}>` });

    const forged = await driver.blockAction({
      user: labUsers.outsider.id,
      channel,
      messageTs: ts,
      actionId: 'approve',
      signing: 'wrong-secret',
    });
    expect(forged.status).toBe(401);
    expect(seen.actions).toHaveLength(1);
  });

  it('submits the modal the bot opened from a button, with the validation answer', async () => {
    const ts = await planMessageTs();
    await driver.blockAction({
      user: labUsers.operator.id,
      channel,
      messageTs: ts,
      actionId: 'open_confirm',
    });
    expect(sim.store.views).toEqual([
      expect.objectContaining({ callback_id: 'confirm_run', user: labUsers.operator.id }),
    ]);

    const empty = await driver.viewSubmission({ user: labUsers.operator.id });
    expect(empty.json).toEqual({ response_action: 'errors', errors: { reason_block: 'Say why' } });
    const ok = await driver.viewSubmission({
      user: labUsers.operator.id,
      values: { reason: 'UPS maintenance' },
    });
    expect(ok.status).toBe(200);
    expect(ok.text).toBe('');
    expect(seen.submissions.at(-1)).toMatchObject({
      callback_id: 'confirm_run',
      state: { values: { reason_block: { reason: { type: 'plain_text_input', value: 'UPS maintenance' } } } },
    });
  });

  it('redelivers an event with X-Slack-Retry-Num and -Reason, as Slack retries', async () => {
    const event = {
      type: 'app_mention',
      user: labUsers.operator.id,
      channel,
      text: '<@U0LABBOT01> status',
      ts: '1700000000.000100',
    };
    const first = await driver.event({ event });
    expect(first.status).toBe(200);
    const again = await driver.retry(first.request, { num: 1, reason: 'http_timeout' });
    expect(again.status).toBe(200);
    const [a, b] = seen.events as Array<{ id: string; retryNum?: number; retryReason?: string }>;
    expect(a).toMatchObject({ retryNum: undefined, retryReason: undefined });
    expect(b).toMatchObject({ retryNum: 1, retryReason: 'http_timeout', id: a?.id });

    const stale = await driver.event({ event, signing: { ageSeconds: 600 } });
    expect(stale.status).toBe(401);
    expect(seen.events).toHaveLength(2);
  });

  it('works the same against a stand-in in another process, through its /lab/ control routes', async () => {
    const remote = connectSlackSim(sim.url);
    const far = createSlackDriver({ botUrl: driverUrl, signingSecret, sim: remote });
    const res = await far.slashCommand({ text: 'lognes --to site5', user: labUsers.approver.id, channel });
    expect(res.status).toBe(200);
    expect(res.responseUrl.startsWith(`${sim.url}/commands/`)).toBe(true);
    const state = await remote.control.state();
    expect(state.ephemerals).toEqual([
      expect.objectContaining({ text: 'Planning lognes --to site5', user: labUsers.approver.id }),
    ]);
    const plan = state.messages.find((m) => m.text === 'Plan');
    await far.blockAction({
      user: labUsers.approver.id,
      channel,
      messageTs: plan?.ts ?? '',
      actionId: 'approve',
    });
    expect((await remote.control.state()).messages.find((m) => m.ts === plan?.ts)?.text).toBe(
      `Approved by <@${labUsers.approver.id}>`,
    );
    await remote.control.fault({ kind: 'server-error', calls: 1 });
    const failing = await fetch(`${remote.apiUrl}auth.test`, {
      method: 'POST',
      headers: { authorization: `Bearer ${botToken}` },
    });
    expect(failing.status).toBe(500);
    await remote.control.reset();
    expect((await remote.control.state()).calls).toEqual([]);
  });
});
