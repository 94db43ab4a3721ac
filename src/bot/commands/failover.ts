import type { App } from '@slack/bolt';
import type { BotContext } from '../context.js';
import { startMove } from '../move-flow.js';
import { registerSlash } from '../slash.js';

// `/failover SITE --to SITE [--override-fencing]`: the unplanned move, when SITE is down. The
// preflight probes the source (fencing guard): if anything there still answers it blocks, unless
// --override-fencing is given, and then the run needs two approvers other than the requester.
// The engine probes again just before the first replica is made writable. With --test it is
// Zerto's failover test instead: copies at the other site, production untouched, no fencing.

export function registerFailoverCommand(app: App, ctx: BotContext): void {
  registerSlash(app, '/failover', ctx, async (req) => {
    const c = req.parsed;
    if (c.verb !== 'failover') return;
    await startMove(ctx, req, {
      request: c.test
        ? {
            kind: 'test-failover',
            from: c.site,
            to: c.to,
            ...(c.datastores.length > 0 ? { datastores: c.datastores } : {}),
            forceOff: false,
          }
        : {
            kind: 'failover',
            from: c.site,
            to: c.to,
            ...(c.datastores.length > 0 ? { datastores: c.datastores } : {}),
            forceOff: true,
            ...(c.overrideFencing ? { overrideFencing: true } : {}),
          },
      dryRun: c.dryRun,
      startAt: null,
      startAtLabel: null,
    });
  });
}
