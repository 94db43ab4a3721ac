import { type EnvOptions, missingSecrets, readEnvOptions } from '../config/env.js';
import { loadTopology } from '../config/load.js';
import type { Topology } from '../config/schema.js';
import { ConfigError } from '../domain/errors.js';
import { connectRedis } from '../jobs/redis.js';
import { createLogger, type Logger } from '../log.js';

/** What a long-running process (web, worker) starts from, read once. */
export interface ProcessStart {
  options: EnvOptions;
  topology: Topology;
  log: Logger;
  /** Resolves on SIGTERM/SIGINT; listened to before anything opens. */
  stopRequested: Promise<NodeJS.Signals>;
  redis: Awaited<ReturnType<typeof connectRedis>>;
}

/**
 * Config read once and checked (every secret the topology names must be set: fail fast, naming
 * the variables), the logger, the stop signal, then Redis. A stop requested during start-up must
 * still close what was opened instead of killing the process half-way, so the signal is listened
 * for before Redis is connected.
 */
export async function startProcess(
  env: Record<string, string | undefined>,
  name: string,
): Promise<ProcessStart> {
  const options = readEnvOptions(env);
  const topology = loadTopology(options.configPath);
  const missing = missingSecrets(topology, env);
  if (missing.length > 0) throw new ConfigError(`${missing.length} secret variable(s) missing`, missing);
  const log = createLogger({ level: options.logLevel, name });
  const stopRequested = untilSignal(log);
  const redis = await connectRedis(options.redisUrl);
  return { options, topology, log, stopRequested, redis };
}

/**
 * Resolves when SIGTERM or SIGINT arrives. Long-running commands (web, worker) await it, then
 * close what they opened; a second signal while closing exits at once.
 */
export function untilSignal(log: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const handler = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'shutting down');
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
      process.once('SIGTERM', () => process.exit(130));
      process.once('SIGINT', () => process.exit(130));
      resolve(signal);
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  });
}
