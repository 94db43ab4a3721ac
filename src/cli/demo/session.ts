import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { BasculeError } from '../../domain/errors.js';

// Runs `bascule` subcommands the way an operator would in a terminal: the command line is shown,
// the output streams through as it comes (so progress is visible all along), and prompts on the
// terminal (the second operator's approval) are answered by typing, shown on screen.

const bin = fileURLToPath(new URL('../../../bin/bascule.js', import.meta.url));

export interface Typist {
  /** When the command's output (stdout or stderr) matches, type the answer (a function of the match). */
  prompt: RegExp;
  answer: (match: RegExpExecArray) => string;
}

export interface CommandResult {
  code: number;
  output: string;
}

export class DemoSession {
  constructor(
    private readonly env: Record<string, string>,
    private readonly out: Writable,
  ) {}

  say(text: string): void {
    this.out.write(`\n\x1b[1m${text}\x1b[0m\n`);
  }

  async run(args: string[], typists: Typist[] = []): Promise<CommandResult> {
    this.out.write(
      `\n\x1b[36m$ bascule ${args.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ')}\x1b[0m\n`,
    );
    const child = spawn(process.execPath, [bin, ...args], { env: this.env });
    return this.follow(child, typists);
  }

  private follow(child: ChildProcessWithoutNullStreams, typists: Typist[]): Promise<CommandResult> {
    let output = '';
    const pending = [...typists];
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      this.out.write(text.replace(/^(?!$)/gm, '  '));
      const next = pending[0];
      const match = next ? next.prompt.exec(output) : null;
      if (next && match) {
        pending.shift();
        const answer = next.answer(match);
        this.out.write(`\x1b[33m${answer}\x1b[0m\n`);
        child.stdin.write(`${answer}\n`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => {
        child.stdin.end();
        resolve({ code: code ?? 1, output });
      });
    });
  }
}

/** A demo step's end state did not hold: the demo stops and says what it expected. */
export class DemoCheckError extends BasculeError {
  constructor(what: string) {
    super('DEMO_CHECK_FAILED', `demo check failed: ${what}`, {
      hint: 'The lab is left as it is for inspection (bascule lab status); please report this.',
    });
  }
}

export function check(ok: boolean, what: string, out: Writable): void {
  if (!ok) throw new DemoCheckError(what);
  out.write(`\x1b[32m  ✓ ${what}\x1b[0m\n`);
}
