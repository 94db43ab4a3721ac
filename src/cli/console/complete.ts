import { consoleVerbs } from './dispatch.js';

// Tab completion for the console: command names (with or without the slash), then, by position,
// sites, datastore/VPG names, modes, flags, and run ids (read from Redis when asked).

export interface CompletionSource {
  sites: string[];
  /** Datastore and VPG names (the grammar context's units). */
  units: string[];
  /** Run ids, newest first; may fail or be slow (Redis). */
  runIds(): Promise<string[]>;
}

const flags: Record<string, string[]> = {
  migrate: [
    '--to',
    '--datastore',
    '--mode',
    '--dry-run',
    '--at',
    '--no-force-off',
    '--yes',
    '--detach',
    '--json',
  ],
  preflight: ['--to', '--datastore', '--mode', '--no-force-off', '--json'],
  failback: ['--datastore', '--dry-run', '--yes', '--detach', '--json'],
  failover: [
    '--to',
    '--datastore',
    '--dry-run',
    '--override-fencing',
    '--test',
    '--yes',
    '--detach',
    '--json',
  ],
  status: ['--json'],
  history: ['--json'],
  maintenance: ['--json', '--as'],
};
const maintenanceVerbs = ['schedule', 'list', 'show', 'edit', 'cancel', 'ics'];
const sitePositional = new Set(['migrate', 'preflight', 'failback', 'failover']);
const runPositional = new Set(['status', 'history', 'pause', 'resume', 'cancel', 'retry']);

function matching(word: string, candidates: string[]): string[] {
  return [...new Set(candidates.filter((c) => c.startsWith(word)))];
}

/** [completions, the word they complete], as readline's completer returns. */
export async function complete(line: string, source: CompletionSource): Promise<[string[], string]> {
  const words = line.split(/\s+/);
  const word = words.at(-1) ?? '';
  if (words.length === 1) {
    const slash = word.startsWith('/');
    const names = consoleVerbs.map((v) => (slash ? `/${v}` : v));
    return [matching(word, names).map((n) => `${n} `), word];
  }
  const verb = (words[0] as string).replace(/^\//, '');
  const previous = words.at(-2) ?? '';
  const positionals = words.slice(1, -1).filter((w, i, all) => !w.startsWith('--') && !isValueOf(all[i - 1]));
  let candidates: string[] = [];
  if (previous === '--to') candidates = source.sites;
  else if (previous === '--datastore') candidates = source.units;
  else if (previous === '--mode') candidates = ['cold', 'hot', 'zerto'];
  else if (word.startsWith('-')) candidates = flags[verb] ?? [];
  else if (sitePositional.has(verb) && positionals.length === 0) candidates = source.sites;
  else if (verb === 'maintenance' && positionals.length === 0) candidates = maintenanceVerbs;
  else if (runPositional.has(verb) && positionals.length === 0) {
    candidates = await source.runIds().catch(() => []);
  }
  return [matching(word, candidates).map((c) => `${c} `), word];
}

function isValueOf(flag: string | undefined): boolean {
  return flag === '--to' || flag === '--datastore' || flag === '--mode' || flag === '--at' || flag === '--as';
}
