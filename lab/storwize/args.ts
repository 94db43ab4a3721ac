import { SimCliError } from './messages.js';

// Command lines as the array's restricted shell takes them: words split on blanks, quotes
// grouping, no shell syntax. Then flags (`-name [value]`) and at most one object id or name.

export class ShellError extends Error {}

export function tokenize(line: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let inToken = false;
  let quote: '"' | "'" | null = null;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = null;
      else current += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inToken = true;
    } else if (/\s/.test(ch)) {
      if (inToken) tokens.push(current);
      current = '';
      inToken = false;
    } else if (';|&<>$`\\(){}!#~'.includes(ch)) {
      throw new ShellError(`rbash: syntax not allowed in the restricted shell: ${ch}`);
    } else {
      current += ch;
      inToken = true;
    }
  }
  if (quote) throw new ShellError('rbash: unexpected EOF while looking for matching quote');
  if (inToken) tokens.push(current);
  return tokens;
}

export interface FlagSpec {
  /** Flags followed by a value. */
  values?: readonly string[];
  /** Flags on their own. */
  booleans?: readonly string[];
  object: 'none' | 'optional' | 'required';
  /** Accepts `-filtervalue?` (lists the filter attributes). */
  filterHelp?: boolean;
}

export interface ParsedArgs {
  values: Map<string, string>;
  booleans: Set<string>;
  object: string | null;
  filterHelp: boolean;
}

export function parseArgs(tokens: readonly string[], spec: FlagSpec): ParsedArgs {
  const out: ParsedArgs = { values: new Map(), booleans: new Set(), object: null, filterHelp: false };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as string;
    if (t === '-filtervalue?' && spec.filterHelp) {
      out.filterHelp = true;
      continue;
    }
    if (t.startsWith('-') && t.length > 1) {
      const name = t.slice(1);
      if (spec.values?.includes(name)) {
        const v = tokens[i + 1];
        if (v === undefined) throw new SimCliError('CMMVC5707E');
        if (out.values.has(name)) throw new SimCliError('CMMVC5709E', t);
        out.values.set(name, v);
        i++;
      } else if (spec.booleans?.includes(name)) {
        out.booleans.add(name);
      } else {
        throw new SimCliError('CMMVC5709E', t);
      }
      continue;
    }
    if (spec.object === 'none' || out.object !== null) throw new SimCliError('CMMVC5709E', t);
    out.object = t;
  }
  if (spec.object === 'required' && out.object === null) throw new SimCliError('CMMVC5701E');
  return out;
}
