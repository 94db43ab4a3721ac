import { randomBytes } from 'node:crypto';
import { type Logger, LogLevel, WebClient } from '@slack/web-api';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { labChannels, labUsers, type SlackSim, startSlackSim } from '../../lab/slack/index.js';
import type {
  MaintenanceWindow,
  NotificationSettings,
  PreflightSummary,
} from '../../src/domain/maintenance/types.js';
import { ReminderScheduler } from '../../src/jobs/maintenance/reminders.js';
import { slackSender } from '../../src/jobs/maintenance/sender.js';
import { MaintenanceService } from '../../src/jobs/maintenance/service.js';
import { MaintenanceStore } from '../../src/jobs/maintenance/store.js';
import { type MaintenanceWorker, startMaintenanceWorker } from '../../src/jobs/maintenance/worker.js';
import { PARIS } from './maintenance-fixtures.js';

// One maintenance test's world: real Redis under a random prefix and queue name, the Slack
// stand-in with a real WebClient, a settable clock, and workers that can be started and closed.

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const OPS = labChannels.infra.id;
export const ANNOUNCE = labChannels.announce.id;
export const OPERATOR = labUsers.operator.id;

const quiet: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};

export interface MaintenanceHarness {
  redis: Redis;
  sim: SlackSim;
  queue: Queue;
  store: MaintenanceStore;
  service: MaintenanceService;
  settings: NotificationSettings;
  /** The injected clock reads this. */
  clock: { now: number };
  /** What the preflight early warning answers, or the error it fails with. */
  preflight: { summary: PreflightSummary | null; error?: string };
  startWorker(): MaintenanceWorker;
  /** Sets the clock just before `at` and recomputes delays, so the reminder due then fires now. */
  fireAt(at: string): Promise<void>;
  waitForJob(jobId: string, state?: 'completed' | 'failed'): Promise<void>;
  /** chat.postMessage calls that succeeded, as (channel, text). */
  posts(): Array<{ channel: string; text: string; blocks: string }>;
  cleanup(): Promise<void>;
}

export async function createMaintenanceHarness(): Promise<MaintenanceHarness> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const prefix = `bm-${randomBytes(4).toString('hex')}`;
  const queueName = `maint-${randomBytes(4).toString('hex')}`;
  const botToken = 'xoxb-maintenance-test';
  const sim = await startSlackSim({ botToken, signingSecret: 'maintenance-secret' });
  const web = new WebClient(botToken, {
    slackApiUrl: sim.apiUrl,
    logger: quiet,
    retryConfig: { retries: 0 },
  });
  const sender = slackSender(web);
  const clock = { now: Date.parse('2026-10-01T08:00:00Z') };
  const preflight: { summary: PreflightSummary | null; error?: string } = { summary: null };
  const settings: NotificationSettings = {
    timezone: PARIS,
    opsChannel: OPS,
    announceChannels: [ANNOUNCE],
    reminders: ['7d', '1d', '1h'],
    startPromptLead: '2h',
  };
  const queueConnection = redis.duplicate();
  const queue = new Queue(queueName, { connection: queueConnection, prefix });
  const store = new MaintenanceStore(redis, prefix);
  const now = () => clock.now;
  const reminders = new ReminderScheduler(queue, settings, now);
  const service = new MaintenanceService({
    store,
    reminders,
    sender,
    sites: ['site5', 'lognes'],
    settings,
    access: { operators: [OPERATOR] },
    clock: now,
  });
  const workers: MaintenanceWorker[] = [];
  const deps = {
    store,
    sender,
    settings,
    preflightSummary: async (_w: MaintenanceWindow) => {
      if (preflight.error) throw new Error(preflight.error);
      return preflight.summary;
    },
  };
  return {
    redis,
    sim,
    queue,
    store,
    service,
    settings,
    clock,
    preflight,
    startWorker() {
      const w = startMaintenanceWorker({ redis, deps, prefix, queue: queueName });
      workers.push(w);
      return w;
    },
    async fireAt(at) {
      clock.now = Date.parse(at) - 50;
      await service.resyncReminders();
    },
    async waitForJob(jobId, state = 'completed') {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const job = await queue.getJob(jobId);
        const current = job ? await job.getState() : 'missing';
        if (current === state) return;
        if (Date.now() > deadline) throw new Error(`job ${jobId} is ${current}, not ${state}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    posts() {
      return sim.calls
        .filter((c) => c.method === 'chat.postMessage' && c.ok)
        .map((c) => ({
          channel: String(c.body.channel),
          text: String(c.body.text),
          blocks: JSON.stringify(c.body.blocks ?? []),
        }));
    },
    async cleanup() {
      await Promise.all(workers.map((w) => w.close()));
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      queueConnection.disconnect();
      await store.deleteAll();
      await redis.quit();
      await sim.stop();
    },
  };
}
