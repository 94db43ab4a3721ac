import { createBot } from '../../bot/app.js';
import { missingSecrets, readEnvOptions } from '../../config/env.js';
import { loadTopology } from '../../config/load.js';
import { ConfigError } from '../../domain/errors.js';
import { connectRedis, redactUrl } from '../../jobs/redis.js';
import { createLogger } from '../../log.js';
import { parseCliArgs } from '../args.js';
import { untilSignal } from '../shutdown.js';
import { type CliCommand, EXIT } from '../types.js';

const usage = 'bascule web   (Slack bot; Socket Mode when SLACK_APP_TOKEN is set, else HTTP on PORT)';

export const command: CliCommand = {
  name: ['web'],
  summary: 'Run the Slack bot (the Procfile web process)',
  usage,
  async run(args, ctx) {
    parseCliArgs(args, {}, usage);
    // Read config once, build, wire, start: nothing below reads the environment again.
    const options = readEnvOptions(ctx.env);
    const topology = loadTopology(options.configPath);
    const missing = missingSecrets(topology, ctx.env);
    if (missing.length > 0) throw new ConfigError(`${missing.length} secret variable(s) missing`, missing);
    const log = createLogger({ level: options.logLevel, name: 'bascule-web' });
    // Listen for SIGTERM before starting anything: a stop requested during start-up must still
    // close what was opened instead of killing the process half-way.
    const stopRequested = untilSignal(log);
    const redis = await connectRedis(options.redisUrl);
    const bot = createBot({
      slack: options.slack,
      port: options.port,
      topology,
      redis,
      log,
      env: ctx.env,
      prefix: options.keyPrefix,
    });
    await bot.start();
    log.info(
      {
        mode: bot.mode,
        port: bot.mode === 'http' ? options.port : undefined,
        redis: redactUrl(options.redisUrl),
        sites: topology.sites.map((s) => s.name),
      },
      'bascule web started',
    );
    await stopRequested;
    await bot.stop();
    await redis.quit();
    log.info('bascule web stopped');
    return EXIT.ok;
  },
};
