import { readEnvOptions } from '../../config/env.js';
import { loadTopology } from '../../config/load.js';
import { parseCommandTokens, usages } from '../../domain/command-grammar.js';
import { UsageError } from '../../domain/errors.js';
import { renderPreflightReport } from '../../domain/preflight/render-text.js';
import type { ActiveRun } from '../../domain/preflight/types.js';
import { gatherPreflight } from '../../jobs/preflight/gather.js';
import { connectRedis } from '../../jobs/redis.js';
import { activeRuns, RunStore } from '../../jobs/run/index.js';
import { grammarContext } from '../grammar-context.js';
import { type CliCommand, EXIT } from '../types.js';

const usage = `${usages.preflight.replace(/^\//, 'bascule ')} [--json]`;

export const command: CliCommand = {
  name: ['preflight'],
  summary: 'What a move would do, and what blocks it (exit 3 when something blocks)',
  usage,
  async run(args, ctx) {
    const json = args.includes('--json');
    const options = readEnvOptions(ctx.env);
    const topology = loadTopology(options.configPath);
    const parsed = parseCommandTokens(
      'preflight',
      args.filter((a) => a !== '--json'),
      grammarContext(topology),
    );
    if (parsed.verb !== 'preflight') throw new UsageError('not a preflight command', usage);
    // Active runs live in Redis; without Redis the concurrency rule cannot be checked, and a
    // preflight that silently skipped it would say "safe" when another run holds the site.
    const redis = await connectRedis(options.redisUrl);
    try {
      const store = new RunStore(redis);
      const result = await gatherPreflight(
        {
          topology,
          env: ctx.env,
          activeRuns: (): Promise<ActiveRun[]> => activeRuns(store),
        },
        {
          kind: 'migrate',
          from: parsed.site,
          to: parsed.to,
          forceOff: parsed.forceOff,
          ...(parsed.datastores.length > 0 ? { datastores: parsed.datastores } : {}),
          ...(parsed.mode ? { mode: parsed.mode } : {}),
        },
      );
      ctx.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : `${renderPreflightReport(result)}\n`);
      return result.blocked ? EXIT.blocked : EXIT.ok;
    } finally {
      await redis.quit();
    }
  },
};
