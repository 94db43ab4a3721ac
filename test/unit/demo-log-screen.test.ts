import { describe, expect, it } from 'vitest';
import { LogScreen } from '../../src/cli/demo/log-screen.js';

// The demo's console screen in a log: finished rows once, plain, and a card redrawn in place
// printed at most every few seconds, its last state always.

function screen(columns = 40) {
  let out = '';
  let now = 0;
  const s = new LogScreen({ columns, write: (t) => (out += t), redrawEveryMs: 5_000, now: () => now });
  return {
    feed: (t: string) => s.feed(t),
    end: () => s.end(),
    at: (ms: number) => {
      now = ms;
    },
    out: () => out,
  };
}

const card = (status: string, percent: number) =>
  `Run r-1  ${status}\r\n[${'#'.repeat(percent / 10)}] ${percent}%\r\n  unit ${status}\r\n`;
const redraw = (status: string, percent: number) => `\x1b[3A\r\x1b[J${card(status, percent)}`;

describe('LogScreen', () => {
  it('prints finished rows once, without colours, and the row in progress only at the end', () => {
    const s = screen();
    s.feed('\x1b[1mbold\x1b[0m line\r\nbascule> ');
    expect(s.out()).toBe('bold line\n');
    s.feed('hel');
    s.feed('lo\r\n');
    expect(s.out()).toBe('bold line\nbascule> hello\n');
    s.feed('Your name: ');
    s.end();
    expect(s.out()).toBe('bold line\nbascule> hello\nYour name:\n');
  });

  it('prints a card redrawn every second at most every five seconds, and its last state', () => {
    const s = screen();
    s.feed(card('queued', 0));
    s.at(1_000);
    s.feed(redraw('running', 10));
    s.at(2_000);
    s.feed(redraw('running', 20));
    expect(s.out()).toBe(card('queued', 0).replace(/\r/g, ''));
    s.at(6_000);
    s.feed(redraw('running', 60));
    s.at(7_000);
    s.feed(redraw('succeeded', 100));
    s.feed('\r\n# Run r-1: succeeded\r\n');
    expect(s.out()).toBe(
      [card('queued', 0), card('running', 60), card('succeeded', 100), '\r\n# Run r-1: succeeded\r\n']
        .join('')
        .replace(/\r/g, ''),
    );
  });

  it('follows readline: autowrap, its redraw of a wrapped line, and escapes split between chunks', () => {
    const s = screen(20);
    s.feed('bascule> 0123456789');
    // The 21st character wraps; readline then redraws the whole line from its first row.
    s.feed('A');
    s.feed('\x1b[1A\x1b[1G\x1b[0Jbascule> 0123456789AB\x1b');
    s.feed('[3G\r\n');
    s.feed('done\r\n');
    expect(s.out()).toBe('bascule> 0123456789A\nB\ndone\n');
  });

  it('keeps the demo own lines, which end with a bare newline, at the start of a row', () => {
    const s = screen();
    s.feed('bascule> ');
    s.feed('\r\x1b[K\n\x1b[1m1. First step\x1b[0m\n  more\nbascule> ');
    s.feed('help\r\n');
    expect(s.out()).toBe('\n1. First step\n  more\nbascule> help\n');
  });
});
