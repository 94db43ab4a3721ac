import { UsageError } from '../../domain/errors.js';
import { parseCliArgs } from '../args.js';
import type { CliCommand } from '../types.js';

// `bascule console`: the interactive prompt (src/cli/console/). main.ts and the registry are loaded
// when it runs: the registry lists this command, and a static import would be a cycle.

const usage = 'bascule console   (interactive: /migrate, /status, … with completion and history)';

export const command: CliCommand = {
  name: ['console'],
  summary: 'Interactive console: the same commands with completion, history and live progress',
  usage,
  async run(args, ctx) {
    const { positionals } = parseCliArgs(args, {}, usage);
    if (positionals.length > 0) throw new UsageError(`unexpected "${positionals[0]}"`, usage);
    const [{ main }, { commands }, { runConsole }] = await Promise.all([
      import('../main.js'),
      import('../registry.js'),
      import('../console/session.js'),
    ]);
    return runConsole(ctx, { main, commands }, { input: process.stdin });
  },
};
