import type { App } from '@slack/bolt';
import type { BotContext } from '../context.js';
import { startMove } from '../move-flow.js';
import { registerSlash } from '../slash.js';

// `/failover SITE --to SITE`: the unplanned move, when SITE is down. Starting one while the source
// may still answer needs a fencing guard (and its override by two approvers); the run engine has no
// fencing yet, so the bot renders the preflight and refuses to start, saying so.

export const FAILOVER_REFUSAL =
  'Failover is not available from Slack yet: the run engine has no fencing guard, so Bascule cannot make sure ' +
  'the source site is really down before starting its VMs elsewhere. Use the documented manual failover ' +
  'procedure, or /migrate if the source site still answers.';

export function registerFailoverCommand(app: App, ctx: BotContext): void {
  registerSlash(app, '/failover', ctx, async (req) => {
    const c = req.parsed;
    if (c.verb !== 'failover') return;
    await startMove(ctx, req, {
      request: {
        kind: 'failover',
        from: c.site,
        to: c.to,
        ...(c.datastores.length > 0 ? { datastores: c.datastores } : {}),
        forceOff: true,
      },
      dryRun: c.dryRun,
      startAt: null,
      startAtLabel: null,
      refuse: FAILOVER_REFUSAL,
    });
  });
}
