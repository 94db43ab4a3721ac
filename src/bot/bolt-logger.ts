import { LogLevel, type Logger as SlackLogger } from '@slack/bolt';
import type { Logger } from '../log.js';

const levels: Record<string, LogLevel> = {
  trace: LogLevel.DEBUG,
  debug: LogLevel.DEBUG,
  info: LogLevel.INFO,
  warn: LogLevel.WARN,
  error: LogLevel.ERROR,
  fatal: LogLevel.ERROR,
  silent: LogLevel.ERROR,
};

/** Bolt logs through the process's pino logger, so its lines are JSON like everything else. */
export function boltLogger(log: Logger): SlackLogger {
  const child = log.child({ component: 'bolt' });
  const text = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' ');
  return {
    // Bolt logs several debug lines per request: format them only when they will be written.
    debug: (...msg: unknown[]) => {
      if (child.isLevelEnabled('debug')) child.debug(text(msg));
    },
    info: (...msg: unknown[]) => {
      if (child.isLevelEnabled('info')) child.info(text(msg));
    },
    warn: (...msg: unknown[]) => child.warn(text(msg)),
    error: (...msg: unknown[]) => child.error(text(msg)),
    setLevel: () => undefined,
    getLevel: () => levels[log.level] ?? LogLevel.INFO,
    setName: () => undefined,
  };
}
