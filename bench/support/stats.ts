import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// What the benchmarks share to print their tables: the median of repeated measures and aligned
// rows; and a full garbage collection on demand, to charge a phase with the garbage it made.

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A full, synchronous garbage collection. */
export function collectGarbage(): void {
  gc();
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** median, min and max, each with `digits` decimals. */
export function spread(xs: readonly number[], digits: number): string[] {
  return [median(xs), Math.min(...xs), Math.max(...xs)].map((x) => x.toFixed(digits));
}

/** A table row: the first cell left-aligned in `first` columns, the others right-aligned in 10. */
export function row(cells: readonly string[], first: number): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(first) : c.padStart(10))).join(' ');
}
