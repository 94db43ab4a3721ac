import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from '../domain/errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node:util parseArgs with Bascule's error style: an unknown flag or a missing value becomes a
 * UsageError carrying the command's usage line, which main.ts prints with exit code 2.
 */
export function parseCliArgs<O extends Options>(args: string[], options: O, usage: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    const message = err instanceof Error ? err.message.replace(/\. To specify.*$/s, '') : String(err);
    throw new UsageError(message, usage);
  }
}
