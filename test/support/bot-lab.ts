import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { type Lab, startLab } from '../../lab/index.js';
import {
  createSlackDriver,
  type SlackDriver,
  type SlackMessage,
  type SlackSim,
} from '../../lab/slack/index.js';
import { type Bot, createBot } from '../../src/bot/app.js';
import { loadTopology } from '../../src/config/load.js';
import type { Topology } from '../../src/config/schema.js';
import { type RunEngine, startRunEngine } from '../../src/jobs/run/index.js';
import { createStepServices } from '../../src/jobs/run/step-services.js';
import { stepExecutors } from '../../src/jobs/steps/index.js';
import type { StepContext } from '../../src/jobs/steps/types.js';
import { freePort } from './free-port.js';
import { deleteKeysUnder } from './redis-keys.js';

// The bot on a whole in-process lab: vCenter simulator and array stand-ins at timeScale 0.01, the
// Slack stand-in, real Redis under a random key prefix, the run engine (real step executors) started
// in-process like a `bascule worker`, and the real Bolt app on its HTTP receiver, driven with signed
// requests. `skew` moves the bot's clock (approval expiry) without waiting.

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface BotLab {
  lab: Lab;
  sim: SlackSim;
  topology: Topology;
  redis: Redis;
  prefix: string;
  bot: Bot;
  /** Stops the bot (`down` resolves while it is down), then starts a new one on the same port. */
  restartBot(down?: () => Promise<void>): Promise<Bot>;
  /** The in-process worker: stopped, runs wait in the queue (to click the card's buttons at leisure). */
  engine: { stop(): Promise<void>; start(): void };
  driver: SlackDriver;
  clock: { skew: number };
  /** Messages of the thread under `parentTs` (the parent excluded). */
  thread(channel: string, parentTs: string): SlackMessage[];
  /** Ephemeral texts posted to a response_url. */
  answers(responseUrl: string): string[];
  stop(): Promise<void>;
}

export async function startBotLab(): Promise<BotLab> {
  const dir = await mkdtemp(join(tmpdir(), 'bascule-bot-lab-'));
  const lab = await startLab({ size: 'small', dir, timeScale: 0.01, detached: false });
  const sim = lab.handles?.slack;
  if (!sim) throw new Error('in-process lab has no Slack stand-in handle');
  const env = parseEnv(await readFile(lab.info.files.env, 'utf8')) as Record<string, string>;
  const topology = loadTopology(lab.info.files.sitesYaml);
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const prefix = `bb-${randomBytes(4).toString('hex')}`;
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  let engine: RunEngine<StepContext> | null = null;
  const services = createStepServices({
    topology,
    env,
    store: () => {
      if (!engine) throw new Error('engine not started');
      return engine.env.store;
    },
    pollIntervalMs: 10,
  });
  const startEngine = () =>
    startRunEngine<StepContext>({
      redis,
      prefix,
      executors: stepExecutors,
      makeContext: (base) => services.makeContext(base),
      replan: (run, approved) => services.replan(run, approved),
      probeFencing: (run) => services.probeFencing(run),
      log,
      timings: { lockDurationMs: 5_000, stalledIntervalMs: 2_000, slotPollMs: 50 },
    });
  engine = startEngine();
  const clock = { skew: 0 };
  const port = await freePort();
  const makeBot = () =>
    createBot({
      slack: {
        botToken: sim.botToken,
        signingSecret: sim.signingSecret,
        apiUrl: sim.apiUrl,
        appToken: undefined,
      },
      port,
      topology,
      redis,
      log,
      env,
      prefix,
      follow: { cardIntervalMs: 300 },
      // The per-channel pace of thread messages, shortened; the order and the holding through
      // Slack errors are the production ones.
      notifyIntervalMs: 100,
      now: () => Date.now() + clock.skew,
    });
  let bot = makeBot();
  await bot.start();
  const driver = createSlackDriver({
    botUrl: `http://127.0.0.1:${port}/slack/events`,
    signingSecret: sim.signingSecret,
    sim,
  });
  const t: BotLab = {
    lab,
    sim,
    topology,
    redis,
    prefix,
    bot,
    async restartBot(down) {
      await bot.stop();
      await down?.();
      bot = makeBot();
      await bot.start();
      t.bot = bot;
      return bot;
    },
    engine: {
      async stop() {
        await engine?.close();
        engine = null;
      },
      start() {
        engine = startEngine();
      },
    },
    driver,
    clock,
    thread: (channel, parentTs) =>
      sim.store.messages.filter(
        (m) => m.channel === channel && m.thread_ts === parentTs && m.ts !== parentTs,
      ),
    answers: (url) => sim.responses.filter((r) => r.url === url).map((r) => String(r.body.text ?? '')),
    async stop() {
      await bot.stop().catch(() => undefined);
      await engine?.close().catch(() => undefined);
      await services.close().catch(() => undefined);
      await deleteKeysUnder(redis, prefix);
      await redis.quit();
      await lab.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return t;
}
