import { LogScreen } from './log-screen.js';

// What the demo's user sees: the console's terminal, byte for byte, on a terminal (exactly what an
// operator would see), or as plain finished lines in a log (LogScreen). The demo's own words are
// written between the console's lines: at a prompt, the prompt is cleared, the words printed, and
// the prompt drawn again below them, so that what is typed next follows the prompt as it should.

export interface DemoScreenOptions {
  write: (text: string) => void;
  tty: boolean;
  columns: number;
}

const bold = (s: string) => `\x1b[1m${s}\x1b[0m`;

export class DemoScreen {
  private readonly log: LogScreen | null;
  /** The console's output since its last newline: the prompt it is waiting at, if any. */
  private pendingLine = '';

  constructor(private readonly o: DemoScreenOptions) {
    this.log = o.tty ? null : new LogScreen({ columns: o.columns, write: o.write });
  }

  /** A chunk of the console's terminal output. */
  console(chunk: string): void {
    const nl = chunk.lastIndexOf('\n');
    this.pendingLine = nl >= 0 ? chunk.slice(nl + 1) : this.pendingLine + chunk;
    this.emit(chunk);
  }

  /** The demo's narration, in bold, on lines of its own. */
  say(text: string): void {
    this.words(`\n${text.split('\n').map(bold).join('\n')}`);
  }

  /** A verified end state. */
  ok(text: string): void {
    this.words(`\x1b[32m  ✓ ${text}\x1b[0m`);
  }

  /** A side remark (what the operator would do in real life). */
  aside(text: string): void {
    this.words(
      text
        .split('\n')
        .map((l) => `\x1b[2m  ${l}\x1b[0m`)
        .join('\n'),
    );
  }

  /** Text that is not the console's (the demo's own progress before and after the session). */
  plain(text: string): void {
    this.emit(text);
  }

  end(): void {
    this.log?.end();
  }

  private words(text: string): void {
    const atPrompt = this.pendingLine.length > 0;
    this.emit(`${atPrompt ? '\r\x1b[K' : ''}${text}\n${this.pendingLine}`);
  }

  private emit(text: string): void {
    if (this.log) this.log.feed(text);
    else this.o.write(text);
  }
}
