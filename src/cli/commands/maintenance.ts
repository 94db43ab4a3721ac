import { readEnvOptions } from '../../config/env.js';
import { loadTopology } from '../../config/load.js';
import type { Mode } from '../../domain/command-grammar.js';
import { errorMessage, UsageError } from '../../domain/errors.js';
import { MaintenanceError } from '../../domain/maintenance/errors.js';
import { maintenanceUsages, parseMaintenanceTokens } from '../../domain/maintenance/grammar.js';
import { formatLocal } from '../../domain/maintenance/local-time.js';
import { renderListText, windowText } from '../../domain/maintenance/status-view.js';
import type { MaintenanceWindow, ServiceImpact } from '../../domain/maintenance/types.js';
import type { ChangeResult, MaintenanceService } from '../../jobs/maintenance/service.js';
import {
  createMaintenanceService,
  senderFromEnv,
  windowImpactEstimator,
} from '../../jobs/maintenance/wiring.js';
import { connectRedis } from '../../jobs/redis.js';
import { RunStore } from '../../jobs/run/run-store.js';
import { createLogger } from '../../log.js';
import { type CliCommand, type CliContext, EXIT } from '../types.js';

// `bascule maintenance schedule|list|show|edit|cancel|ics`. The acting operator is a Slack user id
// given with --as U… or BASCULE_OPERATOR (sites.yaml maps no Unix login to Slack, so $USER cannot
// be trusted to name one); it is checked against access.operators like the bot's caller.
// Announcements are posted when SLACK_BOT_TOKEN is set; otherwise the window is saved, its
// reminders queued (the worker posts them), and the CLI says nothing was announced.

const usage = [
  ...Object.values(maintenanceUsages).map(
    (u) => `${u.replace(/^\/maintenance/, 'bascule maintenance')} [--json]`,
  ),
  'schedule, edit and cancel also take --as SLACK_USER_ID (or set BASCULE_OPERATOR)',
].join('\n');

export interface MaintenanceCliDeps {
  service: MaintenanceService;
  /** Whether announcements can be posted (a Slack token is configured). */
  announces: boolean;
  /** Impact per service from a real preflight plan, for the first announcement. */
  estimateImpact?: (w: {
    site: string;
    destination: string | null;
    mode: Mode | null;
  }) => Promise<ServiceImpact[]>;
}

interface CliFlags {
  json: boolean;
  as: string | null;
  rest: string[];
}

function extractFlags(args: string[]): CliFlags {
  const rest: string[] = [];
  let json = false;
  let as: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--json') json = true;
    else if (a === '--as' || a.startsWith('--as=')) {
      const v = a === '--as' ? args[++i] : a.slice('--as='.length);
      if (v === undefined || v.startsWith('--'))
        throw new UsageError('--as needs a Slack user id such as U024BE7LH', usage);
      as = v;
    } else rest.push(a);
  }
  return { json, as, rest };
}

function actorId(flags: CliFlags, env: Record<string, string | undefined>): string | null {
  const id = flags.as ?? (env.BASCULE_OPERATOR?.trim() || null);
  if (id !== null && !/^[UW][A-Z0-9]{2,}$/.test(id)) {
    throw new MaintenanceError(
      'MAINT_NOT_OPERATOR',
      `"${id}" is not a Slack user id`,
      'Pass your Slack member id (Profile → ⋮ → Copy member ID), e.g. --as U024BE7LH.',
    );
  }
  return id;
}

function changeText(verb: string, r: ChangeResult, announces: boolean): string {
  const w = r.window;
  const lines = [`${verb} ${w.id}`, windowText(w)];
  if (w.reminders.length > 0) {
    lines.push('  reminders:');
    for (const rem of w.reminders)
      lines.push(`    ${rem.kind.padEnd(13)} ${formatLocal(Date.parse(rem.at), w.timezone)}`);
  }
  if (!announces)
    lines.push('Not announced: SLACK_BOT_TOKEN is not set (the worker still posts the reminders).');
  else if (r.posted.length > 0) lines.push(`Announced in ${r.posted.map((p) => p.channel).join(', ')}.`);
  for (const e of r.postErrors) lines.push(`Could not announce in ${e.channel}: ${e.error}`);
  return lines.join('\n');
}

function out(ctx: CliContext, json: boolean, value: unknown, text: string): void {
  ctx.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
}

/**
 * Best effort: a window can be scheduled weeks ahead from a laptop that cannot reach vCenter; the
 * announcement then says the impact is not estimated yet, and the 1-day reminder estimates it.
 */
async function estimate(
  deps: MaintenanceCliDeps,
  cmd: { site: string; destination: string | null; mode: Mode | null },
  ctx: CliContext,
): Promise<ServiceImpact[] | null> {
  if (!deps.estimateImpact) return null;
  try {
    return await deps.estimateImpact(cmd);
  } catch (err) {
    ctx.stderr.write(
      `note: impact not estimated (${errorMessage(err)}); the 1-day reminder will estimate it\n`,
    );
    return null;
  }
}

/** The command against a service (tests inject one over a random Redis prefix). */
export async function runMaintenance(
  args: string[],
  ctx: CliContext,
  deps: MaintenanceCliDeps,
): Promise<number> {
  const flags = extractFlags(args);
  const cmd = parseMaintenanceTokens(flags.rest);
  const { service } = deps;
  switch (cmd.verb) {
    case 'schedule': {
      const impact = await estimate(deps, cmd, ctx);
      const r = await service.schedule({ ...cmd, impact }, { id: actorId(flags, ctx.env) });
      out(ctx, flags.json, r, changeText('Scheduled', r, deps.announces));
      return EXIT.ok;
    }
    case 'edit': {
      const r = await service.edit(cmd, { id: actorId(flags, ctx.env) });
      out(ctx, flags.json, r, changeText('Changed', r, deps.announces));
      return EXIT.ok;
    }
    case 'cancel': {
      const r = await service.cancel(cmd.id, { id: actorId(flags, ctx.env) });
      out(ctx, flags.json, r, changeText('Cancelled', r, deps.announces));
      return EXIT.ok;
    }
    case 'list': {
      const windows: MaintenanceWindow[] = await service.list(cmd.all);
      out(ctx, flags.json, windows, renderListText(windows));
      return EXIT.ok;
    }
    case 'show': {
      const w = await service.show(cmd.id);
      out(ctx, flags.json, w, windowText(w));
      return EXIT.ok;
    }
    case 'ics': {
      ctx.stdout.write(await service.ics());
      return EXIT.ok;
    }
  }
}

export const command: CliCommand = {
  name: ['maintenance'],
  summary: 'Schedule, list, edit and cancel power maintenance windows; print the iCalendar feed',
  usage,
  async run(args, ctx) {
    const options = readEnvOptions(ctx.env);
    const topology = loadTopology(options.configPath);
    // Parse first: a usage error needs no Redis.
    parseMaintenanceTokens(extractFlags(args).rest);
    const sender = senderFromEnv(ctx.env);
    const redis = await connectRedis(options.redisUrl);
    const handle = createMaintenanceService({ redis, topology, sender, prefix: options.keyPrefix });
    try {
      const estimator = windowImpactEstimator(
        { topology, env: ctx.env, log: createLogger({ level: 'silent', name: 'bascule-cli' }) },
        () => new RunStore(redis, options.keyPrefix),
      );
      const other = (site: string) => topology.sites.find((s) => s.name !== site)?.name ?? site;
      return await runMaintenance(args, ctx, {
        service: handle.service,
        announces: sender !== null,
        estimateImpact: (w) =>
          estimator({ site: w.site, destination: w.destination ?? other(w.site), mode: w.mode }),
      });
    } finally {
      await handle.close();
      await redis.quit();
    }
  },
};
