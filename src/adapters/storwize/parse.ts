import { unexpectedOutput } from './errors.js';

// The CLI's two output forms (reference §1.1, as Cinder's CLIResponse reads them). Concise view:
// a header line then one line per object, mapped by header name because column order changes
// between code levels. Detailed view: one `key<delim>value` line per attribute; keys can repeat
// (a consistency group's members), so every key maps to a list; a blank line starts a new object.

export type DetailedView = ReadonlyMap<string, readonly string[]>;

function lines(text: string): string[] {
  return text.split(/\r?\n/);
}

export function parseConcise(text: string, delim: string, array = 'array'): Array<Record<string, string>> {
  const rows = lines(text).filter((l) => l !== '');
  const [header, ...body] = rows;
  if (header === undefined) return [];
  const names = header.split(delim);
  if (names.some((n) => n === '') || new Set(names).size !== names.length) {
    throw unexpectedOutput(array, 'concise view header has empty or repeated column names', header);
  }
  return body.map((line) => {
    const fields = line.split(delim);
    if (fields.length !== names.length) {
      throw unexpectedOutput(
        array,
        `concise view row has ${fields.length} fields for ${names.length} columns`,
        line,
      );
    }
    return Object.fromEntries(names.map((n, i) => [n, fields[i] ?? '']));
  });
}

export function parseDetailed(text: string, delim: string, array = 'array'): DetailedView[] {
  const sections: Array<Map<string, string[]>> = [];
  let current: Map<string, string[]> | null = null;
  for (const line of lines(text)) {
    if (line.trim() === '') {
      current = null;
      continue;
    }
    const at = line.indexOf(delim);
    if (at <= 0) throw unexpectedOutput(array, 'detailed view line without a key', line);
    const key = line.slice(0, at);
    const value = line.slice(at + delim.length);
    if (!current) {
      current = new Map();
      sections.push(current);
    }
    const list = current.get(key);
    if (list) list.push(value);
    else current.set(key, [value]);
  }
  return sections;
}

/** First value of each key, for schemas of single-valued attributes. */
export function firstValues(view: DetailedView): Record<string, string> {
  return Object.fromEntries([...view].map(([k, v]) => [k, v[0] ?? '']));
}

export interface CmmvcMessage {
  /** e.g. CMMVC5982E */
  id: string;
  number: number;
  severity: 'E' | 'W' | 'I';
  /** The whole line, id included. */
  text: string;
}

export function parseCmmvc(stderr: string): CmmvcMessage | null {
  const m = /CMMVC(\d{4})([EWI])[^\r\n]*/.exec(stderr);
  if (!m) return null;
  return {
    id: `CMMVC${m[1]}${m[2]}`,
    number: Number(m[1]),
    severity: m[2] as 'E' | 'W' | 'I',
    text: m[0].trim(),
  };
}
