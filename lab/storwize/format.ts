import { SimCliError } from './messages.js';

// Output of the ls commands. Concise view: a header line, then one line per object; detailed view:
// one `key value` line per attribute (repeated keys for member lists). `-delim c` joins fields with
// c; without it fields are padded with spaces into columns, as the real CLI prints them.

export interface ListFormat {
  delim: string | null;
  nohdr: boolean;
}

export function concise(
  headers: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  f: ListFormat,
): string {
  // No objects: nothing at all, not even the header.
  if (rows.length === 0) return '';
  const lines = f.nohdr ? rows : [headers, ...rows];
  const delim = f.delim;
  if (delim !== null) return lines.map((l) => `${l.join(delim)}\n`).join('');
  const widths = headers.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length)));
  return lines
    .map(
      (l) =>
        `${l
          .map((v, i) => v.padEnd(widths[i] ?? 0))
          .join(' ')
          .trimEnd()}\n`,
    )
    .join('');
}

export function detailed(pairs: ReadonlyArray<readonly [string, string]>, f: ListFormat): string {
  const sep = f.delim ?? ' ';
  // -nohdr drops the attribute names, as Cinder's simulator does.
  return pairs.map(([k, v]) => `${f.nohdr ? v : `${k}${sep}${v}`}\n`).join('');
}

export interface Filter {
  column: string;
  test(value: string): boolean;
}

/**
 * `-filtervalue attr=value[:attr=value…]`. Attribute names are matched without regard to case and
 * may be aliases (RC_rel_name for name); a trailing `*` in a value matches any ending.
 */
export function parseFilters(expr: string, columns: ReadonlyMap<string, string>): Filter[] {
  return expr.split(':').map((part) => {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new SimCliError('CMMVC5741E');
    const column = columns.get(part.slice(0, eq).toLowerCase());
    if (!column) throw new SimCliError('CMMVC5741E');
    const value = part.slice(eq + 1);
    if (value.endsWith('*')) {
      const prefix = value.slice(0, -1);
      return { column, test: (v: string) => v.startsWith(prefix) };
    }
    return { column, test: (v: string) => v === value };
  });
}

/** YYYY/MM/DD/HH/MM/SS in UTC, the form a Redbook's lsrcrelationship example shows. */
export function freezeTime(d: Date | null): string {
  if (!d) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${p(d.getUTCHours())}/${p(d.getUTCMinutes())}/${p(d.getUTCSeconds())}`;
}
