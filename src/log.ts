import { type Logger, pino } from 'pino';

// Structured JSON logs on stdout (one object per line), so a log shipper or `jq` can follow a run
// by its run id. Secrets never reach the logger: configuration is logged by key names only, and
// the redact list is a second line of defence for tokens that could hide in error objects.

export type { Logger };

export function createLogger(options: {
  level: string;
  name: string;
  destination?: NodeJS.WritableStream;
}): Logger {
  return pino(
    {
      name: options.name,
      level: options.level,
      base: { pid: process.pid, process: options.name },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          '*.password',
          '*.token',
          '*.botToken',
          '*.appToken',
          '*.signingSecret',
          '*.privateKey',
          '*.clientSecret',
          'headers.authorization',
          'headers.cookie',
        ],
        censor: '[redacted]',
      },
    },
    options.destination ?? process.stdout,
  );
}

/** A child logger that stamps every line with the run id. */
export function runLogger(log: Logger, runId: string): Logger {
  return log.child({ runId });
}
