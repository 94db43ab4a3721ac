import { BasculeError, ConfigError, UsageError } from '../domain/errors.js';
import { commands } from './registry.js';
import { type CliCommand, type CliContext, EXIT } from './types.js';

// `bascule <command...> [args]`: finds the longest command name matching the leading words, prints
// help, and turns errors into exit codes (0 ok, 1 failure, 2 usage). Commands write their own
// output; this file only dispatches.

function findCommand(argv: string[]): { command: CliCommand; rest: string[] } | null {
  let best: { command: CliCommand; rest: string[] } | null = null;
  for (const command of commands) {
    const n = command.name.length;
    if (argv.length >= n && command.name.every((w, i) => argv[i] === w)) {
      if (!best || n > best.command.name.length) best = { command, rest: argv.slice(n) };
    }
  }
  return best;
}

export function helpText(): string {
  const width = Math.max(...commands.map((c) => c.name.join(' ').length));
  const lines = commands.map((c) => `  bascule ${c.name.join(' ').padEnd(width)}  ${c.summary}`);
  return [
    'Bascule: move VMware VMs between two server rooms, and back.',
    '',
    'Usage: bascule <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `bascule <command> --help` for the options of one command.',
    'Exit codes: 0 ok, 1 failure, 2 usage error, 3 preflight blocked.',
    '',
  ].join('\n');
}

export async function main(argv: string[], ctx: Partial<CliContext> = {}): Promise<number> {
  const context: CliContext = {
    env: ctx.env ?? process.env,
    stdout: ctx.stdout ?? process.stdout,
    stderr: ctx.stderr ?? process.stderr,
    cwd: ctx.cwd ?? process.cwd(),
  };
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    context.stdout.write(helpText());
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  const found = findCommand(argv);
  if (!found) {
    context.stderr.write(`bascule: unknown command "${argv.join(' ')}"\n\n${helpText()}`);
    return EXIT.usage;
  }
  const { command, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    context.stdout.write(`${command.summary}\n\nUsage:\n  ${command.usage.split('\n').join('\n  ')}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, context);
  } catch (err) {
    return reportError(err, command, context);
  }
}

function reportError(err: unknown, command: CliCommand, ctx: CliContext): number {
  if (err instanceof UsageError) {
    ctx.stderr.write(
      `bascule ${command.name.join(' ')}: ${err.message}\nUsage:\n  ${command.usage.split('\n').join('\n  ')}\n`,
    );
    return EXIT.usage;
  }
  if (err instanceof ConfigError) {
    ctx.stderr.write(
      `bascule: ${err.message}\n${err.problems.map((p) => `  - ${p}\n`).join('')}${err.hint ?? ''}\n`,
    );
    return EXIT.failure;
  }
  if (err instanceof BasculeError) {
    ctx.stderr.write(`bascule: [${err.code}] ${err.toUserText()}\n`);
    return EXIT.failure;
  }
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  ctx.stderr.write(
    `bascule: unexpected error: ${message}\nThis is a bug in Bascule; please report it with the output above.\n`,
  );
  return EXIT.failure;
}
