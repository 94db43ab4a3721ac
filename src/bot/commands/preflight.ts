import type { App } from '@slack/bolt';
import type { BotContext } from '../context.js';
import { startMove } from '../move-flow.js';
import { registerSlash } from '../slash.js';

// `/preflight SITE --to SITE [...]`: the report in a thread, nothing runs.

export function registerPreflightCommand(app: App, ctx: BotContext): void {
  registerSlash(app, '/preflight', ctx, async (req) => {
    const c = req.parsed;
    if (c.verb !== 'preflight') return;
    await startMove(ctx, req, {
      request: {
        kind: 'migrate',
        from: c.site,
        to: c.to,
        ...(c.datastores.length > 0 ? { datastores: c.datastores } : {}),
        ...(c.mode ? { mode: c.mode } : {}),
        forceOff: c.forceOff,
      },
      dryRun: true,
      startAt: null,
      startAtLabel: null,
    });
  });
}
