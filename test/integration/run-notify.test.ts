import { randomBytes } from 'node:crypto';
import { WebClient } from '@slack/web-api';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { labChannels, type SlackSim, siteChannelId, startSlackSim } from '../../lab/slack/index.js';
import { NotifyQueue, type NotifyWorker, startNotifyWorker } from '../../src/jobs/notify/notify-queue.js';
import type { NotifyMessage } from '../../src/jobs/notify/types.js';
import { deleteKeysUnder } from '../support/redis-keys.js';
import { REDIS_URL } from '../support/run-harness.js';
import { silentSlackLogger as quiet } from '../support/silent-slack-logger.js';

// The notify queue against the lab's Slack stand-in with a real WebClient: a Slack outage (500) or
// rate limiting (429 + Retry-After) delays messages, and never loses or reorders them.

const botToken = 'xoxb-notify-test';

let sim: SlackSim;
let redis: Redis;
let prefix: string;
let queue: NotifyQueue;
let worker: NotifyWorker;

beforeEach(async () => {
  sim = await startSlackSim({ botToken, signingSecret: 'lab-signing-secret' });
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  prefix = `bt-${randomBytes(4).toString('hex')}`;
  // The queue decides about retries: the client neither waits on 429 nor retries by itself.
  const web = new WebClient(botToken, {
    slackApiUrl: sim.apiUrl,
    logger: quiet,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
  });
  const post = async (m: NotifyMessage) => {
    await web.chat.postMessage({ channel: m.channel, text: m.text });
  };
  queue = new NotifyQueue(redis, prefix);
  worker = startNotifyWorker({
    redis,
    prefix,
    post,
    log: pino({ level: 'silent' }),
    intervalMs: 20,
    backoffBaseMs: 50,
    discoverMs: 50,
  });
});

afterEach(async () => {
  await worker.close();
  await queue.close();
  await deleteKeysUnder(redis, prefix);
  await redis.quit();
  await sim.stop();
});

const botTexts = (channel: string) =>
  sim.store.messages.filter((m) => m.channel === channel && m.bot_id !== undefined).map((m) => m.text);

async function until(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 45_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`${what} not reached`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('notify queue', () => {
  it('delivers every message once and in order per channel through 429s and a Slack outage', async () => {
    const infra = labChannels.infra.id;
    const site5 = siteChannelId('site5');
    await sim.control.fault({ kind: 'server-error', calls: 3 });
    const sent: Array<{ channel: string; text: string }> = [];
    for (let i = 1; i <= 4; i++) {
      for (const channel of [infra, site5]) {
        const text = `${channel === infra ? 'infra' : 'site5'} message ${i}`;
        sent.push({ channel, text });
        await queue.send({ channel, text, runId: 'r-000001' });
      }
      if (i === 2) await sim.control.fault({ kind: 'rate-limit', calls: 2, retryAfterSec: 1 });
    }
    await until(() => botTexts(infra).length + botTexts(site5).length >= 8, 'eight messages');
    expect(botTexts(infra)).toEqual(sent.filter((s) => s.channel === infra).map((s) => s.text));
    expect(botTexts(site5)).toEqual(sent.filter((s) => s.channel === site5).map((s) => s.text));
    const posts = sim.calls.filter((c) => c.method === 'chat.postMessage');
    expect(posts.filter((c) => c.status === 500)).toHaveLength(3);
    expect(posts.filter((c) => c.status === 429)).toHaveLength(2);
    expect(posts.filter((c) => c.status === 200)).toHaveLength(8);
  });

  it('drops a message Slack refuses for good, and carries on with the next', async () => {
    const infra = labChannels.infra.id;
    await queue.send({ channel: 'C0NOSUCHCHAN', text: 'lost cause' });
    await queue.send({ channel: infra, text: 'after the refusal' });
    await until(() => botTexts(infra).length === 1, 'the next message');
    expect(botTexts(infra)).toEqual(['after the refusal']);
    const refused = sim.calls.filter((c) => c.body.channel === 'C0NOSUCHCHAN');
    expect(refused).toHaveLength(1);
    expect(refused[0]?.error).toBe('channel_not_found');
  });
});
