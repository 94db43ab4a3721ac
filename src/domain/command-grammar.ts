import { UsageError } from './errors.js';

// One grammar for Slack slash commands, the console and the `bascule` CLI, so that
// `/migrate site5 --to lognes` means the same thing everywhere. Pure: text in, a typed command
// (or a UsageError that says what is wrong and shows the right usage) out.

export type Mode = 'cold' | 'hot' | 'zerto';

export type Command =
  | {
      verb: 'migrate' | 'preflight';
      site: string;
      to: string;
      datastores: string[];
      mode: Mode | null;
      dryRun: boolean;
      at: string | null;
      forceOff: boolean;
    }
  | { verb: 'failback'; site: string; datastores: string[]; dryRun: boolean }
  | {
      verb: 'failover';
      site: string;
      to: string;
      datastores: string[];
      dryRun: boolean;
      /** Go on although the source still answers: needs two approvers (fencing guard). */
      overrideFencing: boolean;
      /** Zerto's failover test: copies start at `to` on the test network, production runs on. */
      test: boolean;
    }
  | { verb: 'status' | 'history'; runId: string | null }
  | { verb: 'pause' | 'resume' | 'cancel'; runId: string }
  | { verb: 'retry'; runId: string; unit: string | null }
  | { verb: 'help'; topic: string | null };

export interface GrammarContext {
  sites: string[];
  /** Datastore and VPG names that may follow --datastore. */
  units: string[];
}

export const usages: Record<Command['verb'], string> = {
  migrate:
    '/migrate SITE --to SITE [--datastore NAME ...] [--mode cold|hot|zerto] [--dry-run] [--at TIME] [--no-force-off]',
  preflight: '/preflight SITE --to SITE [--datastore NAME ...] [--mode cold|hot|zerto] [--no-force-off]',
  failback: '/failback SITE [--datastore NAME ...] [--dry-run]',
  failover: '/failover SITE --to SITE [--datastore NAME ...] [--dry-run] [--override-fencing | --test]',
  status: '/bascule status [RUN]',
  history: '/bascule history [RUN]',
  pause: '/bascule pause RUN',
  resume: '/bascule resume RUN',
  cancel: '/bascule cancel RUN',
  retry: '/bascule retry RUN [UNIT]',
  help: '/bascule help',
};

/** Splits like a shell would for quotes ("a b" and 'a b'), without any expansion. */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let quote: '"' | "'" | null = null;
  let inToken = false;
  // Slack turns straight quotes into typographic ones on some clients.
  const normalised = text.replace(/[\u201c\u201d]/g, '"').replace(/[\u2018\u2019]/g, "'");
  for (const ch of normalised) {
    if (quote) {
      if (ch === quote) quote = null;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inToken = true;
    } else if (/\s/.test(ch)) {
      if (inToken) tokens.push(current);
      current = '';
      inToken = false;
    } else {
      current += ch;
      inToken = true;
    }
  }
  if (quote) throw new UsageError(`unclosed ${quote} quote`);
  if (inToken) tokens.push(current);
  // Slack sends "—to" when an autocorrecting client merges the two dashes.
  return tokens.map((t) => t.replace(/^[\u2013\u2014](?=[a-z])/, '--'));
}

interface Flags {
  positionals: string[];
  values: Map<string, string[]>;
}

function readFlags(tokens: string[], spec: Record<string, 'value' | 'boolean'>, usage: string): Flags {
  const positionals: string[] = [];
  const values = new Map<string, string[]>();
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (!token.startsWith('--')) {
      positionals.push(token);
      continue;
    }
    const [flag, inline] = token.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const kind = spec[flag];
    if (!kind) throw new UsageError(`unknown option --${flag}`, usage);
    if (kind === 'boolean') {
      if (inline !== undefined) throw new UsageError(`--${flag} takes no value`, usage);
      values.set(flag, ['true']);
      continue;
    }
    const value = inline ?? tokens[++i];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`--${flag} needs a value`, usage);
    values.set(flag, [...(values.get(flag) ?? []), value]);
  }
  return { positionals, values };
}

function closest(word: string, candidates: string[]): string | null {
  let best: { c: string; d: number } | null = null;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d <= Math.max(2, Math.floor(c.length / 3)) && (!best || d < best.d)) best = { c, d };
  }
  return best ? best.c : null;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

function checkSite(site: string | undefined, what: string, ctx: GrammarContext, usage: string): string {
  if (site === undefined) throw new UsageError(`missing ${what}`, usage);
  if (ctx.sites.includes(site)) return site;
  const guess = closest(site, ctx.sites);
  throw new UsageError(
    `unknown site "${site}"${guess ? ` (did you mean "${guess}"?)` : ''}; sites are ${ctx.sites.join(', ')}`,
    usage,
  );
}

function checkUnits(names: string[], ctx: GrammarContext, usage: string): string[] {
  for (const n of names) {
    if (!ctx.units.includes(n)) {
      const guess = closest(n, ctx.units);
      throw new UsageError(
        `unknown datastore or VPG "${n}"${guess ? ` (did you mean "${guess}"?)` : ''}`,
        usage,
      );
    }
  }
  return [...new Set(names)];
}

function noExtra(positionals: string[], expected: number, usage: string): void {
  if (positionals.length > expected) {
    throw new UsageError(`unexpected "${positionals.slice(expected).join(' ')}"`, usage);
  }
}

function parseMove(verb: 'migrate' | 'preflight', tokens: string[], ctx: GrammarContext): Command {
  const usage = usages[verb];
  const spec: Record<string, 'value' | 'boolean'> = {
    to: 'value',
    datastore: 'value',
    mode: 'value',
    'no-force-off': 'boolean',
  };
  if (verb === 'migrate') Object.assign(spec, { 'dry-run': 'boolean', at: 'value' });
  const { positionals, values } = readFlags(tokens, spec, usage);
  noExtra(positionals, 1, usage);
  const site = checkSite(positionals[0], 'the site to empty (e.g. site5)', ctx, usage);
  const to = checkSite(values.get('to')?.[0], '--to SITE (the site that will run the VMs)', ctx, usage);
  if (to === site) throw new UsageError(`--to ${to} is the site being emptied; name the other site`, usage);
  const mode = values.get('mode')?.[0] ?? null;
  if (mode !== null && mode !== 'cold' && mode !== 'hot' && mode !== 'zerto') {
    throw new UsageError(`--mode must be cold, hot or zerto, not "${mode}"`, usage);
  }
  return {
    verb,
    site,
    to,
    datastores: checkUnits(values.get('datastore') ?? [], ctx, usage),
    mode,
    dryRun: verb === 'preflight' || values.has('dry-run'),
    at: values.get('at')?.[0] ?? null,
    forceOff: !values.has('no-force-off'),
  };
}

function otherSite(site: string, ctx: GrammarContext): string {
  return ctx.sites.find((s) => s !== site) ?? site;
}

function parseRunVerb(verb: string, tokens: string[]): Command {
  const known = ['status', 'history', 'pause', 'resume', 'cancel', 'retry', 'help'] as const;
  const v = known.find((k) => k === verb);
  if (!v) {
    throw new UsageError(`unknown command "${verb}"; try ${known.join(', ')}`, usages.help);
  }
  const usage = usages[v];
  const { positionals } = readFlags(tokens, {}, usage);
  switch (v) {
    case 'help':
      noExtra(positionals, 1, usage);
      return { verb: 'help', topic: positionals[0] ?? null };
    case 'status':
    case 'history':
      noExtra(positionals, 1, usage);
      return { verb: v, runId: positionals[0] ?? null };
    case 'retry':
      noExtra(positionals, 2, usage);
      if (!positionals[0]) throw new UsageError('missing RUN id', usage);
      return { verb: 'retry', runId: positionals[0], unit: positionals[1] ?? null };
    default:
      noExtra(positionals, 1, usage);
      if (!positionals[0]) throw new UsageError('missing RUN id', usage);
      return { verb: v, runId: positionals[0] };
  }
}

/**
 * Parses one command. `commandName` is the slash command or CLI verb (`/migrate`, `migrate`,
 * `/bascule`); `text` the rest of the line.
 */
export function parseCommand(commandName: string, text: string, ctx: GrammarContext): Command {
  return parseCommandTokens(commandName, tokenize(text), ctx);
}

/** The same, from words already split (a CLI's argv). */
export function parseCommandTokens(commandName: string, tokens: string[], ctx: GrammarContext): Command {
  const name = commandName.replace(/^\//, '');
  switch (name) {
    case 'migrate':
    case 'preflight':
      return parseMove(name, tokens, ctx);
    case 'failback': {
      const usage = usages.failback;
      const { positionals, values } = readFlags(tokens, { datastore: 'value', 'dry-run': 'boolean' }, usage);
      noExtra(positionals, 1, usage);
      const site = checkSite(positionals[0], 'the site to bring the VMs back to (e.g. site5)', ctx, usage);
      return {
        verb: 'failback',
        site,
        datastores: checkUnits(values.get('datastore') ?? [], ctx, usage),
        dryRun: values.has('dry-run'),
      };
    }
    case 'failover': {
      const usage = usages.failover;
      const { positionals, values } = readFlags(
        tokens,
        {
          to: 'value',
          datastore: 'value',
          'dry-run': 'boolean',
          'override-fencing': 'boolean',
          test: 'boolean',
        },
        usage,
      );
      noExtra(positionals, 1, usage);
      const site = checkSite(positionals[0], 'the failed site (e.g. site5)', ctx, usage);
      const to = checkSite(values.get('to')?.[0] ?? otherSite(site, ctx), '--to SITE', ctx, usage);
      if (to === site) throw new UsageError(`--to ${to} is the failed site; name the other site`, usage);
      if (values.has('test') && values.has('override-fencing')) {
        throw new UsageError(
          '--test leaves the source running and needs no fencing: drop --override-fencing',
          usage,
        );
      }
      return {
        verb: 'failover',
        site,
        to,
        datastores: checkUnits(values.get('datastore') ?? [], ctx, usage),
        dryRun: values.has('dry-run'),
        overrideFencing: values.has('override-fencing'),
        test: values.has('test'),
      };
    }
    case 'bascule': {
      const [verb, ...rest] = tokens;
      return parseRunVerb(verb ?? 'help', rest);
    }
    default:
      return parseRunVerb(name, tokens);
  }
}
