import { randomBytes } from 'node:crypto';
import { WebClient } from '@slack/web-api';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { labChannels, type SlackSim, siteChannelId, startSlackSim } from '../../lab/slack/index.js';
import {
  channelQueueName,
  NotifyQueue,
  type NotifyWorker,
  startNotifyWorker,
} from '../../src/jobs/notify/notify-queue.js';
import type { NotifyMessage } from '../../src/jobs/notify/types.js';
import { deleteKeysUnder } from '../support/redis-keys.js';
import { REDIS_URL } from '../support/run-harness.js';
import { silentSlackLogger as quiet } from '../support/silent-slack-logger.js';

// The notify queue's rate limit is per channel (Slack's limit is about one message per second per
// channel): two channels flooded at once progress side by side, each in its own order, and an
// outage or rate limiting on top delays messages without losing or reordering any.

const botToken = 'xoxb-notify-channels-test';
const infra = labChannels.infra.id;
const site5 = siteChannelId('site5');

let sim: SlackSim;
let redis: Redis;
let prefix: string;
let queue: NotifyQueue;
let worker: NotifyWorker | null;

beforeEach(async () => {
  sim = await startSlackSim({ botToken, signingSecret: 'lab-signing-secret' });
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  prefix = `bt-${randomBytes(4).toString('hex')}`;
  queue = new NotifyQueue(redis, prefix);
  worker = null;
});

afterEach(async () => {
  await worker?.close();
  await queue.close();
  await deleteKeysUnder(redis, prefix);
  await redis.quit();
  await sim.stop();
});

function startWorker(intervalMs: number): NotifyWorker {
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
  return startNotifyWorker({
    redis,
    prefix,
    post,
    log: pino({ level: 'silent' }),
    intervalMs,
    backoffBaseMs: 50,
    discoverMs: 50,
  });
}

/** Bot messages in the order Slack received them, as `channel:text`. */
const delivered = () =>
  sim.store.messages.filter((m) => m.bot_id !== undefined).map((m) => ({ channel: m.channel, text: m.text }));
const texts = (channel: string) =>
  delivered()
    .filter((m) => m.channel === channel)
    .map((m) => m.text);

async function until(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 45_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`${what} not reached`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function flood(channel: string, name: string, n: number): Promise<string[]> {
  const sent: string[] = [];
  for (let i = 1; i <= n; i++) {
    sent.push(`${name} message ${i}`);
    await queue.send({ channel, text: `${name} message ${i}`, runId: 'r-000001' });
  }
  return sent;
}

describe('notify queue, per channel', () => {
  it('names one queue per channel, safe for BullMQ whatever the channel id', () => {
    expect(channelQueueName('C05INFRAOPS')).toBe('bascule-notify-C05INFRAOPS');
    expect(channelQueueName('#ops:night')).not.toContain(':');
    expect(channelQueueName('#ops:night')).not.toBe(channelQueueName('#ops-night'));
  });

  it('lets two flooded channels progress side by side, each in its own order', async () => {
    // All of infra's messages are queued before site5's: with one limit for all channels, site5
    // would wait for the whole infra backlog; with a limit per channel they take turns.
    const n = 6;
    const sentInfra = await flood(infra, 'infra', n);
    const sentSite5 = await flood(site5, 'site5', n);
    worker = startWorker(500);
    await until(() => delivered().length >= 2 * n, 'every message');
    expect(texts(infra)).toEqual(sentInfra);
    expect(texts(site5)).toEqual(sentSite5);
    const order = delivered().map((m) => m.channel);
    expect(order.indexOf(site5)).toBeLessThan(order.lastIndexOf(infra));
    // Counted along the delivery order, neither channel runs far ahead of the other.
    let gap = 0;
    let infraSoFar = 0;
    let site5SoFar = 0;
    for (const channel of order) {
      if (channel === infra) infraSoFar++;
      else site5SoFar++;
      gap = Math.max(gap, Math.abs(infraSoFar - site5SoFar));
    }
    expect(gap).toBeLessThanOrEqual(3);
    const posts = sim.calls.filter((c) => c.method === 'chat.postMessage');
    expect(posts).toHaveLength(2 * n);
  });

  it('holds both channels through an outage then rate limiting, and delivers in order', async () => {
    const n = 5;
    await sim.control.fault({ kind: 'server-error', forMs: 1000 });
    worker = startWorker(50);
    const sentInfra = await flood(infra, 'infra', n);
    const sentSite5 = await flood(site5, 'site5', n);
    const failed = (status: number) =>
      sim.calls.filter((c) => c.method === 'chat.postMessage' && c.status === status);
    await until(() => failed(500).length >= 2, 'posts refused by the outage');
    // Answered once the outage is over (the first fault added answers first), whatever the backoff.
    await sim.control.fault({ kind: 'rate-limit', calls: 3, retryAfterSec: 1 });
    await until(() => delivered().length >= 2 * n, 'every message');
    expect(texts(infra)).toEqual(sentInfra);
    expect(texts(site5)).toEqual(sentSite5);
    // Retry-After is honoured: after a 429, that channel's next post waits at least that long.
    const posts = sim.calls.filter((c) => c.method === 'chat.postMessage');
    for (const [i, call] of posts.entries()) {
      if (call.status !== 429) continue;
      const next = posts.slice(i + 1).find((c) => c.body.channel === call.body.channel);
      if (next) expect(next.at - call.at).toBeGreaterThanOrEqual(1000);
    }
    expect(posts.filter((c) => c.status === 200)).toHaveLength(2 * n);
    expect(failed(429)).toHaveLength(3);
  });

  it('keeps the order of messages sent at once to a channel new to the sender', async () => {
    worker = startWorker(20);
    const sent = ['first', 'second', 'third', 'fourth'];
    await Promise.all(sent.map((text) => queue.send({ channel: infra, text })));
    await until(() => texts(infra).length === sent.length, 'every message');
    expect(texts(infra)).toEqual(sent);
  });

  it('serves a channel that first appears after the worker started', async () => {
    worker = startWorker(20);
    await flood(infra, 'infra', 2);
    await until(() => texts(infra).length === 2, 'the first channel');
    const later = await flood(site5, 'site5', 2);
    await until(() => texts(site5).length === 2, 'the channel new to the worker');
    expect(texts(site5)).toEqual(later);
  });
});
