import type { App } from '@slack/bolt';
import type { BotContext } from '../context.js';
import { startMove } from '../move-flow.js';
import { registerSlash } from '../slash.js';

// `/failback SITE [--datastore NAME ...] [--dry-run]`: brings the VMs back to SITE from the other room.

export function registerFailbackCommand(app: App, ctx: BotContext): void {
  registerSlash(app, '/failback', ctx, async (req) => {
    const c = req.parsed;
    if (c.verb !== 'failback') return;
    const from = ctx.grammar.sites.find((s) => s !== c.site) ?? c.site;
    await startMove(ctx, req, {
      request: {
        kind: 'failback',
        from,
        to: c.site,
        ...(c.datastores.length > 0 ? { datastores: c.datastores } : {}),
        forceOff: true,
      },
      dryRun: c.dryRun,
      startAt: null,
      startAtLabel: null,
    });
  });
}
