import { tokenize, usages } from '../../domain/command-grammar.js';
import { UsageError } from '../../domain/errors.js';

// What one console line asks for: the `bascule` argv it stands for (the same CliCommand runs it),
// or a console-only action (help, exit). `/migrate site5 --to lognes`, `migrate site5 --to lognes`
// and `/bascule status` all work, like in Slack and on the command line.

export type ConsoleAction =
  | { kind: 'empty' }
  | { kind: 'exit' }
  | { kind: 'help'; topic: string | null }
  | { kind: 'run'; argv: string[]; move: boolean };

/** Console verbs, in the order help and completion list them. */
export const consoleVerbs = [
  'migrate',
  'preflight',
  'failback',
  'failover',
  'status',
  'history',
  'pause',
  'resume',
  'cancel',
  'retry',
  'maintenance',
  'help',
  'exit',
] as const;

const runVerbs = new Set(['pause', 'resume', 'cancel', 'retry']);
const moves = new Set(['migrate', 'failback', 'failover']);

export const consoleUsage =
  '/migrate|/preflight|/failback|/failover|/status|/history|/pause|/resume|/cancel|/retry|/maintenance …, help, exit';

/** The usage line of a console verb, with its slash. */
export function usageOf(verb: string): string | null {
  if (verb === 'maintenance') return '/maintenance schedule|list|show|edit|cancel|ics …';
  const u = (usages as Record<string, string>)[verb];
  return u ? u.replace(/^\/bascule /, '/') : null;
}

export function parseConsoleLine(line: string): ConsoleAction {
  const tokens = tokenize(line.trim());
  if (tokens.length === 0) return { kind: 'empty' };
  const first = (tokens[0] as string).replace(/^\//, '');
  // `/bascule status`: the Slack spelling of the run verbs.
  const [verb, ...rest] = first === 'bascule' ? tokens.slice(1) : [first, ...tokens.slice(1)];
  switch (verb) {
    case undefined:
    case 'help':
    case '?':
      return { kind: 'help', topic: rest[0]?.replace(/^\//, '') ?? null };
    case 'exit':
    case 'quit':
      return { kind: 'exit' };
    case 'run':
      if (rest[0] && runVerbs.has(rest[0])) return { kind: 'run', argv: ['run', ...rest], move: false };
      throw new UsageError('run takes pause, resume, cancel or retry', '/pause|resume|cancel|retry RUN');
    default:
      if (runVerbs.has(verb)) return { kind: 'run', argv: ['run', verb, ...rest], move: false };
      if ((consoleVerbs as readonly string[]).includes(verb))
        return { kind: 'run', argv: [verb, ...rest], move: moves.has(verb) };
      throw new UsageError(`unknown command "${verb}"`, consoleUsage);
  }
}
