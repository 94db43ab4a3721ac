import { createBot } from '../../bot/app.js';
import { redactUrl } from '../../jobs/redis.js';
import { parseCliArgs } from '../args.js';
import { startProcess } from '../shutdown.js';
import { type CliCommand, EXIT } from '../types.js';

const usage = 'bascule web   (Slack bot; Socket Mode when SLACK_APP_TOKEN is set, else HTTP on PORT)';

export const command: CliCommand = {
  name: ['web'],
  summary: 'Run the Slack bot (the Procfile web process)',
  usage,
  async run(args, ctx) {
    parseCliArgs(args, {}, usage);
    // Read config once, build, wire, start: nothing below reads the environment again.
    const { options, topology, log, stopRequested, redis } = await startProcess(ctx.env, 'bascule-web');
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
