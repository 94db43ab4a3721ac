// Typed errors with stable codes. The code is what tests, logs and the job engine match on; the
// message says what happened, and `hint` says what the operator should do next (shown in Slack and
// on the terminal). `retryable: false` tells the job engine not to try again (BullMQ's
// UnrecoverableError); the engine, not the domain, makes that translation.

export interface BasculeErrorOptions {
  hint?: string;
  retryable?: boolean;
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class BasculeError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, options: BasculeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }

  /** One line for a terminal or a Slack message: what happened, then what to do. */
  toUserText(): string {
    return this.hint ? `${this.message} ${this.hint}` : this.message;
  }
}

export class ConfigError extends BasculeError {
  /** Each problem as `file: key.path: what was expected`. */
  readonly problems: string[];

  constructor(message: string, problems: string[], options: BasculeErrorOptions = {}) {
    super('CONFIG_INVALID', message, {
      hint: 'Fix the listed keys and run `bascule config check` again.',
      ...options,
    });
    this.problems = problems;
  }
}

export class UsageError extends BasculeError {
  readonly usage: string | undefined;

  constructor(message: string, usage?: string) {
    super('USAGE', message, { hint: usage ? `Usage: ${usage}` : undefined });
    this.usage = usage;
  }
}

export function isBasculeError(err: unknown): err is BasculeError {
  return err instanceof BasculeError;
}

/** Message of any thrown value, for logs; never includes secrets because errors never carry them. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
