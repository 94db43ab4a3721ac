// The console's screen for a log (the demo's stdout is not a terminal, e.g. CI): a tiny terminal
// that understands what readline and the progress card send (cursor up, column, clear down/line,
// autowrap) and prints each finished row once, as plain text. A card redrawn in place every second
// would otherwise fill a log with escape sequences and copies of itself: its redraws are printed
// at most every `redrawEveryMs`, and its last state always, once something follows it.

// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes are the point.
const CSI = /^\x1b\[([0-9;?]*)([ -/]*)([@-~])/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes are the point.
const OSC = /^\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes are the point.
const CHARSET = /^\x1b[()#][0-9A-Za-z]/;

export interface LogScreenOptions {
  columns: number;
  write: (text: string) => void;
  /** A row rewritten in place (the card) is printed again at most this often. */
  redrawEveryMs?: number;
  now?: () => number;
}

export class LogScreen {
  private readonly rows: string[][] = [[]];
  private row = 0;
  private col = 0;
  private wrapPending = false;
  /** Rows [0, printed) are in the log as they are now or as they were. */
  private printed = 0;
  /** One past the lowest row ever printed. */
  private printedMax = 0;
  private lastPrint = Number.NEGATIVE_INFINITY;
  private carry = '';

  constructor(private readonly o: LogScreenOptions) {}

  feed(data: string): void {
    let s = this.carry + data;
    this.carry = '';
    while (s.length > 0) {
      const ch = s[0] as string;
      if (ch === '\x1b') {
        const csi = CSI.exec(s);
        const osc = csi ? null : OSC.exec(s);
        const match = csi ?? osc;
        if (!match) {
          // An escape cut between two chunks: keep it for the next one; an unknown two-byte one
          // (charset selection, keypad mode) is dropped.
          if (s.length < 8 && !/[@-~]/.test(s.slice(2))) {
            this.carry = s;
            return;
          }
          s = s.slice(CHARSET.test(s) ? 3 : 2);
          continue;
        }
        if (csi) this.control(csi[1] ?? '', csi[3] ?? '');
        s = s.slice(match[0].length);
        continue;
      }
      s = s.slice(1);
      if (ch === '\r') {
        this.col = 0;
        this.wrapPending = false;
      } else if (ch === '\n') {
        // As a terminal's output processing does (ONLCR): the demo's own lines have no \r.
        this.down(1);
        this.col = 0;
        this.wrapPending = false;
      } else if (ch === '\b') {
        this.col = Math.max(0, this.col - 1);
        this.wrapPending = false;
      } else if (ch === '\t') {
        this.col = Math.min(this.o.columns - 1, (Math.floor(this.col / 8) + 1) * 8);
      } else if (ch >= ' ' || ch > '\x7f') {
        this.put(ch);
      }
      // Other control characters (bell, shift in/out) show nothing.
    }
    this.flush(false);
  }

  /** Prints what is left, the row in progress included (the end of the session). */
  end(): void {
    this.flush(true);
  }

  private put(ch: string): void {
    if (this.wrapPending) {
      this.down(1);
      this.col = 0;
      this.wrapPending = false;
    }
    const line = this.line();
    while (line.length < this.col) line.push(' ');
    line[this.col] = ch;
    if (this.col === this.o.columns - 1) this.wrapPending = true;
    else this.col++;
  }

  private control(params: string, final: string): void {
    if (params.startsWith('?')) return;
    const args = params.split(';').map((p) => Number.parseInt(p, 10));
    const n = Number.isNaN(args[0]) ? undefined : args[0];
    this.wrapPending = false;
    switch (final) {
      case 'A':
        this.row = Math.max(0, this.row - (n || 1));
        if (this.row < this.printed) this.printed = this.row;
        break;
      case 'B':
        this.down(n || 1);
        break;
      case 'C':
        this.col = Math.min(this.o.columns - 1, this.col + (n || 1));
        break;
      case 'D':
        this.col = Math.max(0, this.col - (n || 1));
        break;
      case 'G':
        this.col = Math.min(this.o.columns - 1, Math.max(0, (n || 1) - 1));
        break;
      case 'J':
        // 0 (or none): from the cursor down. A whole-screen clear keeps the log as it is.
        if (!n) {
          this.line().length = Math.min(this.line().length, this.col);
          this.rows.length = this.row + 1;
        }
        break;
      case 'K':
        if (!n) this.line().length = Math.min(this.line().length, this.col);
        else if (n === 1) this.line().fill(' ', 0, this.col + 1);
        else this.line().length = 0;
        break;
      default:
      // Colours (m) and the rest change nothing in a log.
    }
  }

  private line(): string[] {
    let line = this.rows[this.row];
    if (!line) {
      line = [];
      this.rows[this.row] = line;
    }
    return line;
  }

  private down(n: number): void {
    this.row += n;
    while (this.rows.length <= this.row) this.rows.push([]);
  }

  private flush(all: boolean): void {
    const upTo = all ? (this.rows[this.row]?.length ? this.row + 1 : this.row) : this.row;
    if (upTo <= this.printed) return;
    const now = (this.o.now ?? Date.now)();
    const redraw = this.printed < this.printedMax;
    if (redraw && !all && upTo <= this.printedMax && now - this.lastPrint < (this.o.redrawEveryMs ?? 5_000))
      return;
    this.lastPrint = now;
    const text = this.rows
      .slice(this.printed, upTo)
      .map((r) => `${r.join('').trimEnd()}\n`)
      .join('');
    this.printed = upTo;
    this.printedMax = Math.max(this.printedMax, upTo);
    this.o.write(text);
  }
}
