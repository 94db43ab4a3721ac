import { App, SocketModeReceiver, webApi } from '@slack/bolt';
import type { Redis } from 'ioredis';
import { grammarContext } from '../cli/grammar-context.js';
import type { EnvOptions } from '../config/env.js';
import type { Topology } from '../config/schema.js';
import { ConfigError } from '../domain/errors.js';
import type { MoveRequest, PreflightResult } from '../domain/preflight/types.js';
import { maintenanceIcsRoute } from '../jobs/maintenance/ics-route.js';
import { slackSender } from '../jobs/maintenance/sender.js';
import {
  createMaintenanceService,
  type ServiceHandle,
  windowImpactEstimator,
} from '../jobs/maintenance/wiring.js';
import { NotifyQueue, type NotifyWorker, startNotifyWorker } from '../jobs/notify/notify-queue.js';
import { gatherPreflight } from '../jobs/preflight/gather.js';
import { KEY_PREFIX } from '../jobs/redis.js';
import { RunControl } from '../jobs/run/control.js';
import { activeRuns } from '../jobs/run/locks.js';
import { isTerminal } from '../jobs/run/types.js';
import type { Logger } from '../log.js';
import { Access } from './access.js';
import { registerActions } from './actions/buttons.js';
import { registerMaintenanceActions } from './actions/maintenance-buttons.js';
import { approve, expireApprovals } from './approval.js';
import { queueLegacySchedule } from './at-time.js';
import { boltLogger } from './bolt-logger.js';
import { BotRuns } from './bot-runs.js';
import { registerBasculeCommand } from './commands/bascule.js';
import { registerFailbackCommand } from './commands/failback.js';
import { registerFailoverCommand } from './commands/failover.js';
import { registerMaintenanceCommand } from './commands/maintenance.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerPreflightCommand } from './commands/preflight.js';
import type { BotContext } from './context.js';
import { SlackHttpReceiver } from './http-receiver.js';
import { routedApp } from './listener-router.js';
import { DEFAULT_FOLLOW, Followers, type FollowOptions } from './progress.js';
import { createResponseUrlPoster } from './response-url.js';

// Builds the Bolt app with the receiver the environment asks for: Socket Mode when an app-level
// token is set (no inbound firewall opening, the usual choice on a campus network), otherwise the
// HTTP receiver on PORT at Bolt's default path /slack/events, which verifies request signatures and
// refuses requests older than five minutes (replays): Bolt's behaviour, in a lighter receiver
// (http-receiver.ts) so that acknowledgements stay fast under a burst of commands.

export interface BotDeps {
  slack: EnvOptions['slack'];
  port: number | undefined;
  topology: Topology;
  redis: Redis;
  log: Logger;
  /** Environment with the secrets the preflight needs (vCenter, arrays). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Key prefix of the run engine (default `bascule`); tests use their own. */
  prefix?: string;
  /** Overrides how a preflight is gathered (default: in this process, after the ack). */
  preflight?: (request: MoveRequest) => Promise<PreflightResult>;
  follow?: Partial<FollowOptions>;
  now?: () => number;
  /** How often undecided approvals are checked for expiry. */
  expirySweepMs?: number;
  /** Least time between two thread messages to one channel (Slack: about one per second). */
  notifyIntervalMs?: number;
}

export interface Bot {
  app: App;
  mode: 'socket' | 'http';
  ctx: BotContext;
  /** Maintenance windows (/maintenance, its buttons, GET /maintenance.ics). */
  maintenance: ServiceHandle;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createBot(deps: BotDeps): Bot {
  const { slack, log } = deps;
  if (!slack.botToken) {
    throw new ConfigError('SLACK_BOT_TOKEN is not set', ['env SLACK_BOT_TOKEN: missing'], {
      hint: 'Install the app from manifest.json and copy its bot token (xoxb-…) into SLACK_BOT_TOKEN.',
    });
  }
  const logger = boltLogger(log);
  const clientOptions = slack.apiUrl
    ? { slackApiUrl: slack.apiUrl.endsWith('/') ? slack.apiUrl : `${slack.apiUrl}/` }
    : {};
  let mode: Bot['mode'];
  // Assigned below, once the app (its WebClient, the sender) exists.
  let maintenance: ServiceHandle | null = null;
  let receiver: SocketModeReceiver | SlackHttpReceiver;
  if (slack.appToken) {
    mode = 'socket';
    receiver = new SocketModeReceiver({ appToken: slack.appToken, logger });
  } else if (slack.signingSecret && deps.port !== undefined) {
    mode = 'http';
    receiver = new SlackHttpReceiver({
      signingSecret: slack.signingSecret,
      logger,
      customRoutes: [
        {
          path: '/healthz',
          method: ['GET'],
          handler: (_req, res) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end('{"ok":true}');
          },
        },
        {
          path: '/maintenance.ics',
          method: ['GET', 'HEAD'],
          handler: (req, res) => {
            if (!maintenance) {
              res.writeHead(503).end();
              return;
            }
            maintenanceIcsRoute(maintenance.service)(req, res).catch((err: unknown) => {
              log.error({ err: err instanceof Error ? err.message : String(err) }, 'maintenance.ics failed');
              if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
              res.end('maintenance feed unavailable\n');
            });
          },
        },
      ],
    });
  } else {
    throw new ConfigError(
      'no Slack connection mode configured',
      ['env: set SLACK_APP_TOKEN (Socket Mode), or SLACK_SIGNING_SECRET and PORT (HTTP mode)'],
      { hint: 'Socket Mode is the simplest: enable it in the app settings and create an app-level token.' },
    );
  }
  const app = new App({
    token: slack.botToken,
    receiver,
    logger,
    clientOptions,
    deferInitialization: true,
    // Bolt's conversation store is unused here, and its in-memory lookup builds an Error for
    // every request that has no stored conversation (all of them).
    convoStore: false,
  });
  const prefix = deps.prefix ?? KEY_PREFIX;
  const control = new RunControl(deps.redis, prefix);
  // The web command should pass its env (read once at start-up); process.env is the fallback.
  const env = deps.env ?? process.env;
  let followers: Followers;
  const notifyQueue = new NotifyQueue(deps.redis, prefix);
  let notifyWorker: NotifyWorker | null = null;
  const ctx: BotContext = {
    topology: deps.topology,
    grammar: grammarContext(deps.topology),
    redis: deps.redis,
    control,
    runs: new BotRuns(deps.redis, prefix),
    access: new Access(deps.topology, app.client, log),
    client: app.client,
    responseUrl: createResponseUrlPoster(),
    log,
    preflight:
      deps.preflight ??
      ((request) =>
        gatherPreflight(
          { topology: deps.topology, env, activeRuns: () => activeRuns(control.store), log },
          request,
        )),
    now: deps.now ?? Date.now,
    follow: (runId) => followers.follow(runId),
    notify: notifyQueue,
  };
  const maint = createMaintenanceService({
    redis: deps.redis,
    topology: deps.topology,
    sender: slackSender(app.client),
    clock: ctx.now,
    prefix,
  });
  maintenance = maint;
  followers = new Followers(() => ctx, deps.redis, {
    ...DEFAULT_FOLLOW,
    ...deps.follow,
    // A maintenance window follows its runs: migrated → in progress, failed back → done.
    onEnded: async (run) => {
      await maint.service
        .runEnded(run.id, run.status === 'succeeded')
        .catch((err: unknown) =>
          log.warn({ runId: run.id, err: String(err) }, 'maintenance state not updated'),
        );
    },
  });
  // Commands and buttons are reached through one Bolt listener each (see listener-router.ts).
  const routed = routedApp(app);
  registerMigrateCommand(routed, ctx);
  registerPreflightCommand(routed, ctx);
  registerFailbackCommand(routed, ctx);
  registerFailoverCommand(routed, ctx);
  registerBasculeCommand(routed, ctx);
  // Only with an explicit environment (the web process passes its own): the estimate reads vCenter.
  const estimator = deps.env
    ? windowImpactEstimator({ topology: deps.topology, env: { ...deps.env }, log }, () => ctx.control.store)
    : null;
  const other = (site: string) => deps.topology.sites.find((s) => s.name !== site)?.name ?? site;
  registerMaintenanceCommand(
    routed,
    ctx,
    maint.service,
    estimator
      ? (w) => estimator({ site: w.site, destination: w.destination ?? other(w.site), mode: w.mode })
      : undefined,
  );
  registerActions(routed, ctx);
  registerMaintenanceActions(routed, ctx, maint.service);
  app.error(async (err) => {
    log.error({ code: err.code, err: err.message }, 'unhandled Slack error');
  });
  let sweep: NodeJS.Timeout | null = null;
  return {
    app,
    mode,
    ctx,
    maintenance: maint,
    async start() {
      await app.init();
      await (mode === 'http' ? app.start(deps.port as number) : app.start());
      // The queue decides on retries and waits: this client neither retries nor sleeps on a 429,
      // so a job never outlives its lock inside one post.
      const poster = new webApi.WebClient(slack.botToken, {
        ...clientOptions,
        logger,
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
      });
      notifyWorker = startNotifyWorker({
        redis: deps.redis,
        prefix,
        log,
        ...(deps.notifyIntervalMs === undefined ? {} : { intervalMs: deps.notifyIntervalMs }),
        post: async (m) => {
          const base = {
            channel: m.channel,
            text: m.text,
            ...(m.blocks === undefined ? {} : { blocks: m.blocks as webApi.KnownBlock[] }),
          };
          await (m.thread_ts === undefined
            ? poster.chat.postMessage(base)
            : poster.chat.postMessage({
                ...base,
                thread_ts: m.thread_ts,
                reply_broadcast: m.reply_broadcast ?? false,
              }));
        },
      });
      await resume(ctx);
      // Reminder jobs have stable ids: re-queueing after a restart adds only the missing ones.
      await maint.service
        .resyncReminders()
        .catch((err: unknown) => log.warn({ err: String(err) }, 'maintenance reminders resync'));
      sweep = setInterval(
        () =>
          void expireApprovals(ctx).catch((err: unknown) => log.warn({ err: String(err) }, 'expiry sweep')),
        deps.expirySweepMs ?? 30_000,
      );
      sweep.unref();
    },
    async stop() {
      if (sweep) clearInterval(sweep);
      await followers.stop();
      await notifyWorker?.close();
      await notifyQueue.close();
      await app.stop();
      await maint.close();
      await control.close();
      ctx.responseUrl.close();
    },
  };
}

/**
 * After a restart: follow the runs still going. Runs approved with --at wait in the run queue as
 * delayed jobs, so nothing needs re-arming; one approved by an older bot (which kept the time in
 * a timer) is queued now.
 */
async function resume(ctx: BotContext): Promise<void> {
  for (const id of await ctx.runs.ids()) {
    const r = await ctx.runs.get(id);
    const run = await ctx.control.store.get(id);
    if (!r || !run) continue;
    if (r.decision?.kind === 'approved' && run.status === 'awaiting-approval') {
      await queueLegacySchedule(ctx, r, run);
      ctx.follow(id);
    } else if (r.decision?.kind === 'approved' && !isTerminal(run.status)) ctx.follow(id);
    else if (isTerminal(run.status)) ctx.follow(id); // posts the final message if it never was
  }
}

export { approve };
