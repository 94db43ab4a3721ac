import { createInterface, type Interface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import { readEnvOptions } from '../../config/env.js';
import { loadTopology } from '../../config/load.js';
import { UsageError } from '../../domain/errors.js';
import { connectRedis } from '../../jobs/redis.js';
import { RunStore } from '../../jobs/run/index.js';
import { withControl } from '../commands/run-support.js';
import { grammarContext } from '../grammar-context.js';
import { type CliCommand, type CliContext, EXIT } from '../types.js';
import { type CompletionSource, complete } from './complete.js';
import { type ConsoleAction, consoleUsage, consoleVerbs, parseConsoleLine, usageOf } from './dispatch.js';
import { followInConsole } from './follow.js';
import { appendHistory, HISTORY_SIZE, historyPath, loadHistory } from './history-file.js';

// The interactive console: a readline prompt whose lines run the same CliCommands as `bascule …`
// (through main(), so usage errors, exit codes and messages are the CLI's). A move is queued with
// --detach and then followed here, so that Ctrl-C detaches from the run instead of killing it.
// While a command runs the prompt's readline is closed: the approval prompt of the move commands
// owns the terminal, exactly as on the command line.

export interface ConsoleDeps {
  main(argv: string[], ctx: Partial<CliContext>): Promise<number>;
  commands: CliCommand[];
}

export interface ConsoleIo {
  input: NodeJS.ReadStream;
}

const PROMPT = 'bascule> ';

interface Tty {
  isTTY?: boolean;
  columns?: number;
  setRawMode?: (raw: boolean) => void;
}

export async function runConsole(ctx: CliContext, deps: ConsoleDeps, io: ConsoleIo): Promise<number> {
  const { input } = io;
  const out = ctx.stdout as Writable & Tty;
  const tty = Boolean((input as Tty).isTTY && out.isTTY);
  const source = completionSource(ctx);
  const histPath = historyPath(ctx.env);
  const history = loadHistory(histPath);
  const session = new Session(ctx, deps, input, tty);

  out.write(
    'Bascule console. Type help for the commands; Tab completes; Ctrl-D or exit leaves.\n' +
      (source.warning ? `(${source.warning})\n` : ''),
  );
  try {
    if (tty) {
      for (;;) {
        const line = await readOneLine(input, out, history, source.source);
        if (line === null) break;
        if (line.trim() && line !== history[0]) {
          history.unshift(line);
          history.length = Math.min(history.length, HISTORY_SIZE);
          appendHistory(histPath, line);
        }
        if ((await session.execute(line)) === 'exit') break;
      }
    } else {
      // Piped input: one reader for every line (commands only; no approval prompt, see execute).
      const rl = createInterface({ input, terminal: false });
      for await (const line of rl) {
        if (line.trim()) appendHistory(histPath, line);
        if ((await session.execute(line)) === 'exit') break;
      }
      rl.close();
    }
  } finally {
    await source.close();
  }
  out.write('\n');
  return EXIT.ok;
}

/** One prompt: the line typed, or null on Ctrl-D. Ctrl-C clears the line, like a shell. */
function readOneLine(
  input: NodeJS.ReadStream,
  output: Writable,
  history: string[],
  source: CompletionSource,
): Promise<string | null> {
  return new Promise((resolve) => {
    let answered = false;
    const rl: Interface = createInterface({
      input,
      output,
      terminal: true,
      history: [...history],
      historySize: HISTORY_SIZE,
      removeHistoryDuplicates: true,
      completer: (line: string, cb: (err: Error | null, result: [string[], string]) => void) => {
        complete(line, source).then(
          (r) => cb(null, r),
          () => cb(null, [[], line]),
        );
      },
    });
    rl.on('SIGINT', () => {
      output.write('^C\n');
      rl.write(null, { ctrl: true, name: 'e' });
      rl.write(null, { ctrl: true, name: 'u' });
      rl.prompt();
    });
    rl.on('line', (line) => {
      answered = true;
      rl.close();
      resolve(line);
    });
    rl.on('close', () => {
      if (!answered) resolve(null);
    });
    rl.setPrompt(PROMPT);
    rl.prompt();
  });
}

function completionSource(ctx: CliContext): {
  source: CompletionSource;
  warning: string | null;
  close(): Promise<void>;
} {
  let sites: string[] = [];
  let units: string[] = [];
  let warning: string | null = null;
  let redis: Promise<Redis> | null = null;
  let keyPrefix: string | undefined;
  let redisUrl: string | undefined;
  try {
    const options = readEnvOptions(ctx.env);
    keyPrefix = options.keyPrefix;
    redisUrl = options.redisUrl;
    const g = grammarContext(loadTopology(options.configPath));
    sites = g.sites;
    units = g.units;
  } catch (err) {
    warning = `no completion of sites and datastores: ${err instanceof Error ? err.message : String(err)}`;
  }
  return {
    warning,
    source: {
      sites,
      units,
      async runIds() {
        if (!redisUrl) return [];
        redis ??= connectRedis(redisUrl);
        const store = new RunStore(await redis, keyPrefix);
        return (await store.list(20)).map((r) => r.id);
      },
    },
    async close() {
      if (redis) await (await redis.catch(() => null))?.quit();
    },
  };
}

class Session {
  private following: AbortController | null = null;

  constructor(
    private readonly ctx: CliContext,
    private readonly deps: ConsoleDeps,
    private readonly input: NodeJS.ReadStream,
    private readonly tty: boolean,
  ) {}

  async execute(line: string): Promise<'exit' | 'done'> {
    let action: ConsoleAction;
    try {
      action = parseConsoleLine(line);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      this.ctx.stderr.write(
        `${err.message}\n${err.usage ? `Usage: ${err.usage}\n` : ''}Type help for the commands.\n`,
      );
      return 'done';
    }
    switch (action.kind) {
      case 'empty':
        return 'done';
      case 'exit':
        return 'exit';
      case 'help':
        this.ctx.stdout.write(this.help(action.topic));
        return 'done';
      case 'run':
        await this.run(action.argv, action.move);
        return 'done';
    }
  }

  private async run(argv: string[], move: boolean): Promise<void> {
    const has = (flag: string) => argv.includes(flag);
    const quiet = has('--help') || has('-h') || has('--dry-run');
    if (move && !this.tty && !has('--yes') && !quiet) {
      this.ctx.stderr.write(
        'The approval of a move needs a terminal: run the console in one, or pass --yes (or use `bascule …`).\n',
      );
      return;
    }
    // The console follows the run itself (live card, Ctrl-C detaches), so the command only queues it.
    const follow = move && !has('--detach') && !has('--json') && !quiet;
    const args = follow ? [...argv, '--detach'] : argv;
    let runId: string | null = null;
    const stdout = new Writable({
      write: (chunk, _enc, cb) => {
        const text = String(chunk);
        const queued = /Run (r-[0-9a-f]{6}) queued/.exec(text);
        if (queued) runId = queued[1] as string;
        // --detach prints the bare run id for scripts; the console follows instead.
        if (!(follow && runId && text === `${runId}\n`)) this.ctx.stdout.write(chunk);
        cb();
      },
    });
    const stderr = new Writable({
      write: (chunk, _enc, cb) => {
        const text = String(chunk);
        // Ctrl-C at the approval prompt closes it (an AbortError, which main() calls a bug).
        if (/^bascule: unexpected error: AbortError/.test(text))
          this.ctx.stderr.write('Interrupted (Ctrl-C): the plan was not approved.\n');
        else this.ctx.stderr.write(chunk);
        cb();
      },
    });
    // Keep stderr a TTY for the approval prompt: readline edits the line only on a terminal.
    const stderrOut = Object.assign(stderr, {
      isTTY: (this.ctx.stderr as Tty).isTTY,
      columns: (this.ctx.stderr as Tty).columns,
    });
    const onSigint = () => {
      if (this.following) this.following.abort();
      else this.ctx.stderr.write('\n(Ctrl-C: the command cannot be interrupted here; it ends first.)\n');
    };
    process.on('SIGINT', onSigint);
    try {
      // main() already said what went wrong; the exit code only matters to scripts.
      await this.deps.main(args, { ...this.ctx, stdout, stderr: stderrOut });
      if (follow && runId) await this.follow(runId);
    } finally {
      process.off('SIGINT', onSigint);
    }
  }

  private async follow(runId: string): Promise<void> {
    const abort = new AbortController();
    this.following = abort;
    const stopKeys = this.tty ? this.watchCtrlC(abort) : () => undefined;
    try {
      const end = await withControl(this.ctx, (control) =>
        followInConsole(control, runId, this.ctx, {
          tty: this.tty,
          columns: () => (this.ctx.stdout as Tty).columns ?? 120,
          signal: abort.signal,
        }),
      );
      if (end === 'detached')
        this.ctx.stdout.write(
          `\nDetached from run ${runId}: it goes on. /status ${runId} shows it; /cancel ${runId} stops it.\n`,
        );
    } catch (err) {
      this.ctx.stderr.write(`Lost the run's progress: ${err instanceof Error ? err.message : String(err)}\n`);
    } finally {
      stopKeys();
      this.following = null;
    }
  }

  /** Raw keys while following: Ctrl-C (or Ctrl-D) detaches; anything else typed is ignored, not echoed. */
  private watchCtrlC(abort: AbortController): () => void {
    const input = this.input as NodeJS.ReadStream & Tty;
    const onData = (data: Buffer) => {
      if (data.includes(0x03) || data.includes(0x04)) abort.abort();
    };
    input.setRawMode?.(true);
    input.on('data', onData);
    input.resume();
    return () => {
      input.off('data', onData);
      input.setRawMode?.(false);
      input.pause();
    };
  }

  private help(topic: string | null): string {
    if (topic) {
      let action: ConsoleAction | null = null;
      try {
        action = parseConsoleLine(topic);
      } catch {
        action = null;
      }
      const argv = action?.kind === 'run' ? action.argv.slice(0, action.argv[0] === 'run' ? 2 : 1) : null;
      const command = argv && this.deps.commands.find((c) => c.name.join(' ') === argv.join(' '));
      if (!command) return `No command "${topic}". ${consoleUsage}\n`;
      return `${command.summary}\n\nIn the console:\n  ${usageOf(topic.replace(/^\//, '')) ?? topic}\nOn the command line:\n  ${command.usage.split('\n').join('\n  ')}\n`;
    }
    const rows: Array<[string, string]> = [];
    for (const verb of consoleVerbs) {
      if (verb === 'help' || verb === 'exit') continue;
      const action = parseConsoleLine(verb);
      if (action.kind !== 'run') continue;
      const name = action.argv.join(' ');
      const command = this.deps.commands.find((c) => c.name.join(' ') === name);
      rows.push([usageOf(verb) ?? `/${verb}`, `${command?.summary ?? ''}  [bascule ${name}]`]);
    }
    return [
      'Console commands (the slash is optional):',
      ...rows.map(([u, s]) => `  ${u}\n      ${s}`),
      '  help [COMMAND]   this help, or the options of one command',
      '  exit             leave the console (Ctrl-D too)',
      '',
      'A move runs its preflight, asks a second operator to approve on this terminal (their name, then',
      'the plan code), queues the run and shows its progress until the report. Ctrl-C while a run is',
      'followed detaches: the run goes on in the workers, like one started from Slack.',
      'Tab completes commands, sites, datastores/VPGs and run ids. History: $BASCULE_HISTORY or',
      '~/.bascule_history.',
      '',
      'Not interactive? Every console command is a `bascule` subcommand, e.g.',
      '  bascule migrate site5 --to lognes --datastore NAME --yes    bascule status RUN',
      '  bascule run pause|resume|cancel|retry RUN                    bascule maintenance list',
      '',
    ].join('\n');
  }
}
