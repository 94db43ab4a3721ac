import type { App } from '@slack/bolt';
import { usages } from '../../domain/command-grammar.js';
import { formatAt, parseAt } from '../at-time.js';
import type { BotContext } from '../context.js';
import { startMove } from '../move-flow.js';
import { registerSlash } from '../slash.js';

// `/migrate SITE --to SITE [--datastore NAME ...] [--mode cold|hot|zerto] [--dry-run] [--at TIME]`

export function registerMigrateCommand(app: App, ctx: BotContext): void {
  registerSlash(
    app,
    '/migrate',
    ctx,
    async (req) => {
      const c = req.parsed;
      if (c.verb !== 'migrate') return;
      const startAt =
        c.at === null ? null : parseAt(c.at, ctx.topology.notifications.timezone, ctx.now(), usages.migrate);
      await startMove(ctx, req, {
        request: {
          kind: 'migrate',
          from: c.site,
          to: c.to,
          ...(c.datastores.length > 0 ? { datastores: c.datastores } : {}),
          ...(c.mode ? { mode: c.mode } : {}),
          forceOff: c.forceOff,
        },
        dryRun: c.dryRun,
        startAt,
        startAtLabel: startAt === null ? null : formatAt(startAt, ctx.topology.notifications.timezone),
      });
    },
    (c) => {
      if (c.verb === 'migrate' && c.at !== null)
        parseAt(c.at, ctx.topology.notifications.timezone, ctx.now(), usages.migrate);
    },
  );
}
