import { App, HTTPReceiver, SocketModeReceiver } from '@slack/bolt';
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
import { boltLogger } from './bolt-logger.js';
import { BotRuns } from './bot-runs.js';
import { registerBasculeCommand } from './commands/bascule.js';
import { registerFailbackCommand } from './commands/failback.js';
import { registerFailoverCommand } from './commands/failover.js';
import { registerMaintenanceCommand } from './commands/maintenance.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerPreflightCommand } from './commands/preflight.js';
import type { BotContext } from './context.js';
import { DEFAULT_FOLLOW, Followers, type FollowOptions } from './progress.js';

// Builds the Bolt app with the receiver the environment asks for: Socket Mode when an app-level
// token is set (no inbound firewall opening, the usual choice on a campus network), otherwise the
// HTTP receiver on PORT at Bolt's default path /slack/events, which verifies request signatures and
// refuses requests older than five minutes (replays).

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
  let receiver: SocketModeReceiver | HTTPReceiver;
  if (slack.appToken) {
    mode = 'socket';
    receiver = new SocketModeReceiver({ appToken: slack.appToken, logger });
  } else if (slack.signingSecret && deps.port !== undefined) {
    mode = 'http';
    receiver = new HTTPReceiver({
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
  const app = new App({ token: slack.botToken, receiver, logger, clientOptions, deferInitialization: true });
  const prefix = deps.prefix ?? KEY_PREFIX;
  const control = new RunControl(deps.redis, prefix);
  // The web command should pass its env (read once at start-up); process.env is the fallback.
  const env = deps.env ?? process.env;
  const timers = new Map<string, NodeJS.Timeout>();
  let followers: Followers;
  const ctx: BotContext = {
    topology: deps.topology,
    grammar: grammarContext(deps.topology),
    redis: deps.redis,
    control,
    runs: new BotRuns(deps.redis, prefix),
    access: new Access(deps.topology, app.client, log),
    client: app.client,
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
    schedule(runId, at) {
      if (timers.has(runId)) return;
      const t = setTimeout(
        () => {
          timers.delete(runId);
          void startScheduled(ctx, runId);
        },
        Math.max(0, at - ctx.now()),
      );
      t.unref();
      timers.set(runId, t);
    },
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
  registerMigrateCommand(app, ctx);
  registerPreflightCommand(app, ctx);
  registerFailbackCommand(app, ctx);
  registerFailoverCommand(app, ctx);
  registerBasculeCommand(app, ctx);
  // Only with an explicit environment (the web process passes its own): the estimate reads vCenter.
  const estimator = deps.env
    ? windowImpactEstimator({ topology: deps.topology, env: { ...deps.env }, log }, () => ctx.control.store)
    : null;
  const other = (site: string) => deps.topology.sites.find((s) => s.name !== site)?.name ?? site;
  registerMaintenanceCommand(
    app,
    ctx,
    maint.service,
    estimator
      ? (w) => estimator({ site: w.site, destination: w.destination ?? other(w.site), mode: w.mode })
      : undefined,
  );
  registerActions(app, ctx);
  registerMaintenanceActions(app, ctx, maint.service);
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
      for (const t of timers.values()) clearTimeout(t);
      await followers.stop();
      await app.stop();
      await maint.close();
      await control.close();
    },
  };
}

/** After a restart: follow the runs still going, re-arm the scheduled starts. */
async function resume(ctx: BotContext): Promise<void> {
  for (const id of await ctx.runs.ids()) {
    const r = await ctx.runs.get(id);
    const run = await ctx.control.store.get(id);
    if (!r || !run) continue;
    if (r.decision?.kind === 'approved' && run.status === 'awaiting-approval' && r.startAt !== null) {
      ctx.schedule(id, r.startAt);
    } else if (r.decision?.kind === 'approved' && !isTerminal(run.status)) ctx.follow(id);
    else if (isTerminal(run.status)) ctx.follow(id); // posts the final message if it never was
  }
}

/** A run approved with --at reaches its time: the last approver's approval goes to the engine. */
async function startScheduled(ctx: BotContext, runId: string): Promise<void> {
  const r = await ctx.runs.get(runId);
  const last = r?.approvals.at(-1);
  if (!r || !last) return;
  // Cancelled (or started by another process) while waiting: nothing to do.
  if ((await ctx.control.store.get(runId))?.status !== 'awaiting-approval') return;
  try {
    await ctx.control.approve(runId, last.user);
    ctx.follow(runId);
  } catch (err) {
    ctx.log.error({ runId, err: err instanceof Error ? err.message : String(err) }, 'scheduled start failed');
    await ctx.client.chat.postMessage({
      channel: r.channel,
      thread_ts: r.parentTs,
      text: `:warning: Run \`${runId}\` could not start at its time: ${err instanceof Error ? err.message : String(err)}. Run the command again.`,
    });
  }
}

export { approve };
