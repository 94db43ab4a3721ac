import { App } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signature } from '../../lab/slack/driver.js';
import { SlackHttpReceiver } from '../../src/bot/http-receiver.js';
import { freePort } from '../support/free-port.js';
import { silentSlackLogger as silent } from '../support/silent-slack-logger.js';

// The bot's HTTP receiver keeps Bolt's contract: only requests signed with the signing secret and
// recent reach the app; ssl_check and url_verification are answered by the receiver; ack() is the
// HTTP 200; errors before the ack are a 500; other paths a 404. The bot's own tests drive it with
// real commands (bot-slack.test.ts); this covers what they do not.

const secret = 'receiver-test-signing-secret';

let app: App;
let base: string;
let seen: Array<{ command: string; text: string; retryNum: number | undefined }>;

beforeEach(async () => {
  seen = [];
  const receiver = new SlackHttpReceiver({
    signingSecret: secret,
    logger: silent,
    customRoutes: [
      { path: '/healthz', method: ['GET'], handler: (_req, res) => res.writeHead(200).end('ok') },
    ],
  });
  app = new App({
    token: 'xoxb-receiver-test',
    botId: 'B0TEST',
    botUserId: 'U0BOT',
    receiver,
    logger: silent,
    tokenVerificationEnabled: false,
  });
  app.command('/echo', async ({ command, context, ack }) => {
    seen.push({ command: command.command, text: command.text, retryNum: context.retryNum });
    await ack({ response_type: 'ephemeral', text: `echo ${command.text}` });
  });
  app.command('/boom', async () => {
    throw new Error('listener failed before the ack');
  });
  const port = await freePort();
  await app.start(port);
  base = `http://127.0.0.1:${port}`;
});

afterEach(async () => {
  await app.stop();
});

const form = (command: string, text: string, extra: Record<string, string> = {}) =>
  new URLSearchParams({
    token: 'legacy',
    team_id: 'T0TEST',
    channel_id: 'C0TEST',
    user_id: 'U0USER',
    command,
    text,
    response_url: 'http://127.0.0.1:9/none',
    trigger_id: '1.2.3',
    ...extra,
  }).toString();

async function post(
  body: string,
  o: { type?: string; age?: number; key?: string; sign?: boolean; headers?: Record<string, string> } = {},
) {
  const ts = Math.floor(Date.now() / 1000) - (o.age ?? 0);
  const headers: Record<string, string> = {
    'content-type': o.type ?? 'application/x-www-form-urlencoded',
    ...(o.sign === false
      ? {}
      : {
          'x-slack-request-timestamp': String(ts),
          'x-slack-signature': signature(o.key ?? secret, ts, body),
        }),
    ...o.headers,
  };
  const res = await fetch(`${base}/slack/events`, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}

describe('Slack HTTP receiver', () => {
  it('hands a signed command to the app and answers with its ack', async () => {
    const res = await post(form('/echo', 'hello'), { headers: { 'x-slack-retry-num': '2' } });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ response_type: 'ephemeral', text: 'echo hello' });
    expect(seen).toEqual([{ command: '/echo', text: 'hello', retryNum: 2 }]);
  });

  it.each([
    ['unsigned', { sign: false }],
    ['signed with another secret', { key: `${secret}-not` }],
    ['six minutes old (a replay)', { age: 360 }],
    ['dated six minutes ahead', { age: -360 }],
  ])('refuses a request %s with a 401, and the app never sees it', async (_what, o) => {
    const res = await post(form('/echo', 'forged'), o);
    expect(res.status).toBe(401);
    expect(seen).toEqual([]);
  });

  it('refuses a body changed after signing, and a truncated signature', async () => {
    const body = form('/echo', 'original');
    const ts = Math.floor(Date.now() / 1000);
    const good = signature(secret, ts, body);
    for (const [sent, sig] of [
      [form('/echo', 'changed'), good],
      [body, good.slice(0, -2)],
      [body, good.replace('v0=', 'v1=')],
    ] as const) {
      const res = await fetch(`${base}/slack/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': String(ts),
          'x-slack-signature': sig,
        },
        body: sent,
      });
      expect(res.status).toBe(401);
    }
    expect(seen).toEqual([]);
  });

  it('answers ssl_check unsigned without passing anything smuggled with it to the app', async () => {
    const res = await post(`ssl_check=1&${form('/echo', 'smuggled')}`, { sign: false });
    expect(res.status).toBe(200);
    expect(seen).toEqual([]);
  });

  it('answers url_verification with its challenge, signed', async () => {
    const body = JSON.stringify({ type: 'url_verification', challenge: 'c-123', token: 'legacy' });
    const res = await post(body, { type: 'application/json' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ challenge: 'c-123' });
    expect((await post(body, { type: 'application/json', sign: false })).status).toBe(401);
  });

  it('answers 400 to a signed body that is not JSON, 500 when the app fails before its ack', async () => {
    expect((await post('{not json', { type: 'application/json' })).status).toBe(400);
    expect((await post(form('/boom', ''))).status).toBe(500);
  });

  it('serves custom routes by exact path and method, 404 for anything else', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/healthz?probe=1`)).status).toBe(200);
    expect((await fetch(`${base}/healthz`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${base}/slack/events`)).status).toBe(404);
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
  });
});
