import { missingSecrets, readEnvOptions } from '../../config/env.js';
import { loadTopology } from '../../config/load.js';
import { ConfigError } from '../../domain/errors.js';
import { processors } from '../../jobs/processors.js';
import { connectRedis, redactUrl } from '../../jobs/redis.js';
import { startWorkers } from '../../jobs/worker.js';
import { createLogger } from '../../log.js';
import { parseCliArgs } from '../args.js';
import { untilSignal } from '../shutdown.js';
import { type CliCommand, EXIT } from '../types.js';

const usage = 'bascule worker   (BullMQ worker; run several, on several machines, against one Redis)';

export const command: CliCommand = {
  name: ['worker'],
  summary: 'Run a job worker (the Procfile worker process)',
  usage,
  async run(args, ctx) {
    parseCliArgs(args, {}, usage);
    const options = readEnvOptions(ctx.env);
    const topology = loadTopology(options.configPath);
    const missing = missingSecrets(topology, ctx.env);
    if (missing.length > 0) throw new ConfigError(`${missing.length} secret variable(s) missing`, missing);
    const log = createLogger({ level: options.logLevel, name: 'bascule-worker' });
    // Listen for SIGTERM before starting anything: a stop requested during start-up must still
    // close what was opened instead of killing the process half-way.
    const stopRequested = untilSignal(log);
    const redis = await connectRedis(options.redisUrl);
    const list = processors({ topology, env: ctx.env, log });
    const running = await startWorkers({
      redis,
      redisUrl: options.redisUrl,
      prefix: options.keyPrefix,
      processors: list,
      log,
    });
    log.info(
      { workerId: running.id, queues: list.map((p) => p.queue), redis: redactUrl(options.redisUrl) },
      'bascule worker started',
    );
    await stopRequested;
    await running.close();
    await redis.quit();
    log.info({ workerId: running.id }, 'bascule worker stopped');
    return EXIT.ok;
  },
};
