import { processors } from '../../jobs/processors.js';
import { redactUrl } from '../../jobs/redis.js';
import { startWorkers } from '../../jobs/worker.js';
import { parseCliArgs } from '../args.js';
import { startProcess } from '../shutdown.js';
import { type CliCommand, EXIT } from '../types.js';

const usage = 'bascule worker   (BullMQ worker; run several, on several machines, against one Redis)';

export const command: CliCommand = {
  name: ['worker'],
  summary: 'Run a job worker (the Procfile worker process)',
  usage,
  async run(args, ctx) {
    parseCliArgs(args, {}, usage);
    const { options, topology, log, stopRequested, redis } = await startProcess(ctx.env, 'bascule-worker');
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
