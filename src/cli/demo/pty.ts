import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { BasculeError } from '../../domain/errors.js';

// A program on a pseudo-terminal, driven like a person at a keyboard: util-linux `script` gives it
// a real pty (no native module to build), its screen output is handed on as it comes, and the
// driver waits for a prompt or a marker on the screen before it types the next line.

export interface PtyOptions {
  /** The program and its arguments. */
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  columns: number;
  rows: number;
  /** Every chunk the program writes to its terminal, escape sequences included. */
  onOutput: (chunk: string) => void;
  /** Aborting ends every wait (the user pressed Ctrl-C). */
  signal?: AbortSignal;
}

// Colours, cursor moves and readline's redraws, and the carriage returns of the terminal's newlines:
// what is left is the text a person reads, for matching.
const escapes =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes are the point.
  /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()#][0-9A-Za-z]|\x1b[=>78]|\r/g;

export function plainText(s: string): string {
  return s.replace(escapes, '');
}

const shellQuote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

/** `script` is util-linux's (Debian's essential bsdutils package); macOS's takes other flags. */
export class PtyUnavailableError extends BasculeError {
  constructor(cause: string) {
    super('DEMO_PTY_UNAVAILABLE', `cannot open a pseudo-terminal with util-linux script: ${cause}`, {
      hint: "Install util-linux's script (Debian: apt-get install bsdutils) and run the demo again.",
    });
  }
}

export class DemoWaitError extends BasculeError {
  constructor(what: string, screen: string) {
    super('DEMO_WAIT_FAILED', `the console never showed ${what}; its last lines:\n${screen}`, {
      hint: 'Please report this with the output above; on a terminal the lab stays up for inspection (bascule lab status).',
    });
  }
}

export class DemoInterruptedError extends BasculeError {
  constructor() {
    super('DEMO_INTERRUPTED', 'the demo was interrupted (Ctrl-C)', {
      hint: 'Run `bascule demo` again to start over; the line above says how to stop the lab.',
    });
  }
}

export class PtyProgram {
  private readonly child: ChildProcessWithoutNullStreams;
  private text = '';
  private readonly listeners = new Set<() => void>();
  private exitCode: number | null = null;
  private spawnError: Error | null = null;
  readonly exited: Promise<number>;

  constructor(private readonly o: PtyOptions) {
    const command = [
      // A pipe gives `script` no window size to copy: set the pty's, so that the console wraps and
      // truncates its card where the screen it is shown on does.
      `stty cols ${o.columns} rows ${o.rows} 2>/dev/null`,
      `exec ${o.argv.map(shellQuote).join(' ')}`,
    ].join('; ');
    this.child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: o.cwd,
      env: { ...o.env, SHELL: '/bin/sh' },
      stdio: 'pipe',
    });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      this.text += plainText(chunk);
      o.onOutput(chunk);
      this.notify();
    });
    // `script` itself only writes here when it cannot start.
    this.child.stderr.setEncoding('utf8');
    let stderr = '';
    this.child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      this.child.on('error', (err) => {
        this.spawnError = new PtyUnavailableError(err.message);
        this.exitCode = 127;
        this.notify();
        resolve(127);
      });
      this.child.on('close', (code) => {
        if (code !== 0 && stderr.trim() && this.text === '')
          this.spawnError = new PtyUnavailableError(stderr.trim());
        this.exitCode = code ?? 1;
        this.notify();
        resolve(this.exitCode);
      });
    });
    // stdin stays open until the end: some `script` versions end the session on its EOF.
    this.child.stdin.on('error', () => undefined);
    o.signal?.addEventListener('abort', () => this.notify(), { once: true });
  }

  /** Where the screen's text is now: wait for what comes after it. */
  get position(): number {
    return this.text.length;
  }

  /** The screen's text since `from`. */
  since(from: number): string {
    return this.text.slice(from);
  }

  /**
   * Resolves with the first match of `pattern` in the text shown since `from`; rejects when the
   * program ends first, the wait is aborted, or `timeoutMs` passes (the run moves, but a stuck one
   * must not keep the demo waiting forever).
   */
  waitFor(what: string, pattern: RegExp, from: number, timeoutMs: number): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        settle();
      };
      const check = () => {
        const match = pattern.exec(this.text.slice(from));
        if (match) return done(() => resolve(match));
        if (this.o.signal?.aborted) return done(() => reject(new DemoInterruptedError()));
        if (this.spawnError) return done(() => reject(this.spawnError));
        if (this.exitCode !== null) return done(() => reject(new DemoWaitError(what, this.tail())));
      };
      const timer = setTimeout(() => done(() => reject(new DemoWaitError(what, this.tail()))), timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  /** Types a line and Enter; `perCharMs` > 0 types it key by key, as a person would. */
  async type(line: string, perCharMs = 0): Promise<void> {
    if (perCharMs <= 0) {
      this.child.stdin.write(`${line}\r`);
      return;
    }
    for (const ch of line) {
      if (this.o.signal?.aborted) throw new DemoInterruptedError();
      this.child.stdin.write(ch);
      await new Promise((r) => setTimeout(r, perCharMs));
    }
    this.child.stdin.write('\r');
  }

  /** Ends the program (if it is still there) and waits for it. */
  async stop(): Promise<void> {
    if (this.exitCode === null) {
      this.child.stdin.end();
      this.child.kill('SIGTERM');
    }
    await this.exited;
  }

  private tail(): string {
    return this.text.split('\n').slice(-15).join('\n');
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }
}
