import { type Mode, tokenize } from '../command-grammar.js';
import { UsageError } from '../errors.js';

// `/maintenance …` and `bascule maintenance …`: text in, a typed command or a UsageError out.
// Times stay text here; the service reads them in the configured zone (see local-time.ts).

export type MaintenanceCommand =
  | {
      verb: 'schedule';
      site: string;
      from: string;
      to: string;
      reason: string;
      mode: Mode | null;
      destination: string | null;
    }
  | {
      verb: 'edit';
      id: string;
      from: string | null;
      to: string | null;
      reason: string | null;
      mode: Mode | null;
      destination: string | null;
    }
  | { verb: 'list'; all: boolean }
  | { verb: 'show' | 'cancel'; id: string }
  | { verb: 'ics' };

export const maintenanceUsages: Record<MaintenanceCommand['verb'], string> = {
  schedule:
    '/maintenance schedule SITE --from "YYYY-MM-DD HH:MM" --to "YYYY-MM-DD HH:MM" --reason TEXT [--mode cold|hot|zerto] [--destination SITE]',
  edit: '/maintenance edit ID [--from TIME] [--to TIME] [--reason TEXT] [--mode cold|hot|zerto] [--destination SITE]',
  list: '/maintenance list [--all]',
  show: '/maintenance show ID',
  cancel: '/maintenance cancel ID',
  ics: '/maintenance ics',
};

const allUsages = Object.values(maintenanceUsages).join('\n');
const idPattern = /^mw-[a-z0-9]{4,16}$/;

type Spec = Record<string, 'value' | 'boolean'>;

function readFlags(tokens: string[], spec: Spec, usage: string) {
  const positionals: string[] = [];
  const values = new Map<string, string>();
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (!token.startsWith('--')) {
      positionals.push(token);
      continue;
    }
    const [flag, inline] = token.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const kind = spec[flag];
    if (!kind) throw new UsageError(`unknown option --${flag}`, usage);
    if (values.has(flag)) throw new UsageError(`--${flag} is given twice`, usage);
    if (kind === 'boolean') {
      if (inline !== undefined) throw new UsageError(`--${flag} takes no value`, usage);
      values.set(flag, 'true');
      continue;
    }
    const value = inline ?? tokens[++i];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`--${flag} needs a value`, usage);
    values.set(flag, value);
  }
  return { positionals, values };
}

function noExtra(positionals: string[], expected: number, usage: string): void {
  if (positionals.length > expected) {
    throw new UsageError(
      `unexpected "${positionals.slice(expected).join(' ')}" (quote times and reasons: --from "2026-12-05 07:00")`,
      usage,
    );
  }
}

function readMode(value: string | undefined, usage: string): Mode | null {
  if (value === undefined) return null;
  if (value === 'cold' || value === 'hot' || value === 'zerto') return value;
  throw new UsageError(`--mode must be cold, hot or zerto, not "${value}"`, usage);
}

function readId(value: string | undefined, usage: string): string {
  if (value === undefined) throw new UsageError('missing maintenance ID (see /maintenance list)', usage);
  if (!idPattern.test(value)) {
    throw new UsageError(
      `"${value}" is not a maintenance ID; IDs look like mw-3f9a2c (see /maintenance list)`,
      usage,
    );
  }
  return value;
}

function need(values: Map<string, string>, flag: string, what: string, usage: string): string {
  const v = values.get(flag);
  if (v === undefined) throw new UsageError(`missing --${flag} (${what})`, usage);
  return v;
}

const editSpec: Spec = { from: 'value', to: 'value', reason: 'value', mode: 'value', destination: 'value' };

export function parseMaintenanceTokens(tokens: string[]): MaintenanceCommand {
  const [verb, ...rest] = tokens;
  switch (verb) {
    case 'schedule': {
      const usage = maintenanceUsages.schedule;
      const { positionals, values } = readFlags(rest, editSpec, usage);
      noExtra(positionals, 1, usage);
      const site = positionals[0];
      if (site === undefined)
        throw new UsageError('missing SITE (the site whose power is cut, e.g. site5)', usage);
      return {
        verb,
        site,
        from: need(values, 'from', 'when the power is cut', usage),
        to: need(values, 'to', 'when the power is back', usage),
        reason: need(values, 'reason', 'why, shown in the announcement', usage),
        mode: readMode(values.get('mode'), usage),
        destination: values.get('destination') ?? null,
      };
    }
    case 'edit': {
      const usage = maintenanceUsages.edit;
      const { positionals, values } = readFlags(rest, editSpec, usage);
      noExtra(positionals, 1, usage);
      const id = readId(positionals[0], usage);
      if (values.size === 0)
        throw new UsageError(
          'nothing to change: give --from, --to, --reason, --mode or --destination',
          usage,
        );
      return {
        verb,
        id,
        from: values.get('from') ?? null,
        to: values.get('to') ?? null,
        reason: values.get('reason') ?? null,
        mode: readMode(values.get('mode'), usage),
        destination: values.get('destination') ?? null,
      };
    }
    case 'list': {
      const usage = maintenanceUsages.list;
      const { positionals, values } = readFlags(rest, { all: 'boolean' }, usage);
      noExtra(positionals, 0, usage);
      return { verb, all: values.has('all') };
    }
    case 'show':
    case 'cancel': {
      const usage = maintenanceUsages[verb];
      const { positionals } = readFlags(rest, {}, usage);
      noExtra(positionals, 1, usage);
      return { verb, id: readId(positionals[0], usage) };
    }
    case 'ics': {
      const { positionals } = readFlags(rest, {}, maintenanceUsages.ics);
      noExtra(positionals, 0, maintenanceUsages.ics);
      return { verb };
    }
    default:
      throw new UsageError(
        verb === undefined
          ? 'missing subcommand: schedule, list, show, edit, cancel or ics'
          : `unknown subcommand "${verb}"; use schedule, list, show, edit, cancel or ics`,
        allUsages,
      );
  }
}

/** `/maintenance` text as Slack sends it. */
export function parseMaintenance(text: string): MaintenanceCommand {
  return parseMaintenanceTokens(tokenize(text));
}
