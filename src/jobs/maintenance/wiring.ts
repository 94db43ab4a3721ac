import { WebClient } from '@slack/web-api';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { readEnvOptions } from '../../config/env.js';
import type { Topology } from '../../config/schema.js';
import { BasculeError } from '../../domain/errors.js';
import { impactFromPlan } from '../../domain/maintenance/impact.js';
import type {
  MaintenanceWindow,
  NotificationSettings,
  PreflightSummary,
  ServiceImpact,
} from '../../domain/maintenance/types.js';
import type { Logger } from '../../log.js';
import { connectVsphere, gatherPreflight } from '../preflight/gather.js';
import { KEY_PREFIX } from '../redis.js';
import { activeRuns } from '../run/locks.js';
import { RunStore } from '../run/run-store.js';
import { unrefRedis } from '../run/worker-processors.js';
import type { QueueProcessor } from '../worker.js';
import { MAINTENANCE_QUEUE } from './keys.js';
import { ReminderScheduler } from './reminders.js';
import { type MessageSender, slackSender } from './sender.js';
import { MaintenanceService } from './service.js';
import { MaintenanceStore } from './store.js';
import { maintenanceProcessor } from './worker.js';

// Production wiring from sites.yaml and the environment: the Slack sender, the service (CLI, bot,
// GET /maintenance.ics) and the worker's processor for the maintenance queue.

export function notificationSettings(topology: Topology): NotificationSettings {
  return { ...topology.notifications };
}

/** A sender from SLACK_BOT_TOKEN / SLACK_API_URL; null when no token is set. */
export function senderFromEnv(env: Record<string, string | undefined>): MessageSender | null {
  const { slack } = readEnvOptions(env);
  if (!slack.botToken) return null;
  const apiUrl = slack.apiUrl ? (slack.apiUrl.endsWith('/') ? slack.apiUrl : `${slack.apiUrl}/`) : undefined;
  return slackSender(new WebClient(slack.botToken, apiUrl ? { slackApiUrl: apiUrl } : {}));
}

const noSlack: MessageSender = {
  post() {
    return Promise.reject(
      new BasculeError(
        'SLACK_NOT_CONFIGURED',
        'cannot post maintenance reminders: SLACK_BOT_TOKEN is not set',
        {
          hint: 'Set SLACK_BOT_TOKEN for the worker and restart it.',
          retryable: true,
        },
      ),
    );
  },
};

export interface ServiceHandle {
  service: MaintenanceService;
  close(): Promise<void>;
}

/** The service over an open Redis connection (the caller closes the connection). */
export function createMaintenanceService(o: {
  redis: Redis;
  topology: Topology;
  sender: MessageSender | null;
  clock?: () => number;
  prefix?: string;
}): ServiceHandle {
  const settings = notificationSettings(o.topology);
  const clock = o.clock ?? Date.now;
  const connection = o.redis.duplicate();
  const queue = new Queue(MAINTENANCE_QUEUE, { connection, prefix: o.prefix ?? KEY_PREFIX });
  const service = new MaintenanceService({
    store: new MaintenanceStore(o.redis, o.prefix ?? KEY_PREFIX),
    reminders: new ReminderScheduler(queue, settings, clock),
    sender: o.sender,
    sites: o.topology.sites.map((s) => s.name),
    settings,
    access: o.topology.access,
    clock,
  });
  return {
    service,
    async close() {
      await queue.close();
      connection.disconnect();
    },
  };
}

/**
 * The expected impact per service of a window's move, from a real preflight plan (cold: each
 * service down for its unit's shutdown-to-power-on time; hot or Zerto: none or a reboot).
 * Scheduling uses it for the first announcement; the 1-day reminder refreshes it.
 */
export function windowImpactEstimator(deps: ProcessorDeps, store: () => RunStore) {
  const summary = preflightSummary(deps, store);
  return async (w: Pick<MaintenanceWindow, 'site' | 'destination' | 'mode'>): Promise<ServiceImpact[]> =>
    (await summary(w)).impact ?? [];
}

/** Preflight for the 1-day reminder: a real preflight of the window's move, and its impact. */
function preflightSummary(deps: ProcessorDeps, store: () => RunStore) {
  return async (w: Pick<MaintenanceWindow, 'site' | 'destination' | 'mode'>): Promise<PreflightSummary> => {
    const vsphere = await connectVsphere(deps.topology, deps.env);
    try {
      const inventory = await vsphere.inventory();
      const result = await gatherPreflight(
        {
          topology: deps.topology,
          env: deps.env,
          activeRuns: () => activeRuns(store()),
          log: deps.log,
          vsphere,
          inventory,
        },
        {
          kind: 'migrate',
          from: w.site,
          to: w.destination,
          forceOff: true,
          ...(w.mode ? { mode: w.mode } : {}),
        },
      );
      return {
        blocked: result.blocked,
        blockers: result.findings.filter((f) => f.severity === 'block').map((f) => f.message),
        impact: impactFromPlan(result.plan, inventory.vms, deps.topology.services),
      };
    } finally {
      await vsphere.session.close().catch(() => undefined);
    }
  };
}

interface ProcessorDeps {
  topology: Topology;
  env: Record<string, string | undefined>;
  log: Logger;
}

/** The `bascule-maintenance` queue for the shared worker (processors.ts). */
export function maintenanceQueueProcessor(deps: ProcessorDeps): QueueProcessor {
  let redis: Redis | null = null;
  const getRedis = () => {
    redis ??= unrefRedis(readEnvOptions(deps.env).redisUrl);
    return redis;
  };
  let runStore: RunStore | null = null;
  const getRunStore = () => {
    runStore ??= new RunStore(getRedis(), readEnvOptions(deps.env).keyPrefix);
    return runStore;
  };
  let inner: QueueProcessor | null = null;
  return {
    queue: MAINTENANCE_QUEUE,
    concurrency: 4,
    process(job, log) {
      inner ??= maintenanceProcessor({
        store: new MaintenanceStore(getRedis(), readEnvOptions(deps.env).keyPrefix),
        sender: senderFromEnv(deps.env) ?? noSlack,
        settings: notificationSettings(deps.topology),
        preflightSummary: preflightSummary(deps, getRunStore),
      });
      return inner.process(job, log);
    },
  };
}
