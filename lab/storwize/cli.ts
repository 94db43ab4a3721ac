import { type FlagSpec, type ParsedArgs, parseArgs, ShellError, tokenize } from './args.js';
import { concise, detailed, type ListFormat, parseFilters } from './format.js';
import { SimCliError } from './messages.js';
import { type ArrayInfo, checkObjectRef, type Partnership, type Unit } from './partnership.js';
import type { Presentation, Presenter } from './presenter.js';
import * as t from './transitions.js';
import type { Role } from './types.js';
import {
  filterColumns,
  groupColumns,
  groupDetail,
  groupFields,
  relationshipColumns,
  relationshipDetailKeys,
  relationshipFields,
} from './views.js';

// One command line in, stdout/stderr/exit status out, like the array's CLI over SSH: `svcinfo`
// before ls commands and `svctask` before actions are optional (both forms are accepted on the
// code levels the reference looked at), action commands print nothing on success, errors are one
// `CMMVCnnnnE text` line on stderr with exit status 1.

export interface CliResult {
  stdout: string;
  stderr: string;
  code: number;
}

interface Command {
  kind: 'info' | 'task';
  spec: FlagSpec;
  run(a: ParsedArgs, ctx: CliContext): Promise<string> | string;
}

interface CliContext {
  array: ArrayInfo;
  partnership: Partnership;
  presenter: Presenter;
}

const listSpec: FlagSpec = {
  values: ['delim', 'filtervalue'],
  booleans: ['nohdr', 'bytes'],
  object: 'optional',
  filterHelp: true,
};

function listFormat(a: ParsedArgs): ListFormat {
  const delim = a.values.get('delim') ?? null;
  if (delim !== null && delim.length !== 1) throw new SimCliError('CMMVC5709E', '-delim');
  return { delim, nohdr: a.booleans.has('nohdr') };
}

function role(value: string | undefined): Role | null {
  if (value === undefined) return null;
  if (value !== 'master' && value !== 'aux') throw new SimCliError('CMMVC5709E', value);
  return value;
}

function list(
  a: ParsedArgs,
  columns: readonly string[],
  aliases: Record<string, string>,
  rows: Array<Record<string, string>>,
  detail: (ref: string) => Array<[string, string]>,
): string {
  const f = listFormat(a);
  const filterable = filterColumns(columns, aliases);
  if (a.filterHelp) return [...filterable.keys()].map((k) => `${k}\n`).join('');
  const filter = a.values.get('filtervalue');
  if (a.object !== null) {
    if (filter !== undefined) throw new SimCliError('CMMVC5713E');
    return detailed(detail(a.object), f);
  }
  const filters = filter === undefined ? [] : parseFilters(filter, filterable);
  const kept = rows.filter((r) => filters.every((x) => x.test(r[x.column] ?? '')));
  return concise(
    columns,
    kept.map((r) => columns.map((c) => r[c] ?? '')),
    f,
  );
}

function relationshipFor(ctx: CliContext, ref: string, action: boolean) {
  checkObjectRef(ref);
  const rel = ctx.partnership.relationship(ref);
  if (!rel) throw new SimCliError(action ? 'CMMVC5753E' : 'CMMVC5804E');
  return rel;
}

function groupFor(ctx: CliContext, ref: string, action: boolean) {
  checkObjectRef(ref);
  const g = ctx.partnership.group(ref);
  if (!g) throw new SimCliError(action ? 'CMMVC5753E' : 'CMMVC5804E');
  return g;
}

/** The unit a start/stop/switch acts on; the stand-alone form refuses a group member. */
function unitFor(ctx: CliContext, a: ParsedArgs, form: 'relationship' | 'group'): Unit {
  const ref = a.object as string;
  if (form === 'group') return groupFor(ctx, ref, true).unit;
  const rel = relationshipFor(ctx, ref, true);
  if (rel.group) throw new SimCliError('CMMVC5937E', `Use the consistency group ${rel.group.name}.`);
  return rel.unit;
}

/** Applies a transition: hosts gain or lose write access first (via vcsim), then the state changes. */
async function act(
  ctx: CliContext,
  unit: Unit,
  next: (core: t.UnitCore, role: Role) => t.UnitCore,
): Promise<string> {
  const p = ctx.partnership;
  const after = next(unit.core, p.roleOf(ctx.array, unit));
  const was = p.writableSites(unit);
  const will = p.writableSites(unit, after);
  const calls: Presentation[] = [];
  for (const r of unit.members) {
    for (const site of was.filter((s) => !will.includes(s)))
      calls.push({ action: 'unpresent', datastore: r.datastore, site });
  }
  for (const r of unit.members) {
    for (const site of will.filter((s) => !was.includes(s)))
      calls.push({ action: 'present', datastore: r.datastore, site });
  }
  await ctx.presenter.apply(calls);
  unit.core = after;
  return '';
}

const stopSpec: FlagSpec = { booleans: ['access'], object: 'required' };
const startSpec: FlagSpec = { values: ['primary'], booleans: ['force', 'clean'], object: 'required' };
const switchSpec: FlagSpec = { values: ['primary'], object: 'required' };

function actions(form: 'relationship' | 'group', suffix: string): Record<string, Command> {
  return {
    [`stop${suffix}`]: {
      kind: 'task',
      spec: stopSpec,
      run: (a, ctx) =>
        act(ctx, unitFor(ctx, a, form), (c, r) => t.stop(c, r, a.booleans.has('access'), new Date())),
    },
    [`start${suffix}`]: {
      kind: 'task',
      spec: startSpec,
      run: (a, ctx) => {
        const unit = unitFor(ctx, a, form);
        const o = {
          primary: role(a.values.get('primary')),
          force: a.booleans.has('force'),
          clean: a.booleans.has('clean'),
          changedGb: ctx.partnership.changedGb(unit),
        };
        return act(ctx, unit, (c) => t.start(c, o));
      },
    },
    [`switch${suffix}`]: {
      kind: 'task',
      spec: switchSpec,
      run: (a, ctx) => {
        const unit = unitFor(ctx, a, form);
        const primary = role(a.values.get('primary'));
        if (!primary) throw new SimCliError('CMMVC5707E');
        return act(ctx, unit, (c) => t.switchTo(c, primary));
      },
    },
  };
}

const commands: Record<string, Command> = {
  lsrcrelationship: {
    kind: 'info',
    spec: listSpec,
    run: (a, ctx) => {
      const p = ctx.partnership;
      return list(
        a,
        relationshipColumns,
        { RC_rel_id: 'id', RC_rel_name: 'name' },
        p.relationships.map((r) => relationshipFields(p, r, ctx.array)),
        (ref) => {
          const f = relationshipFields(p, relationshipFor(ctx, ref, false), ctx.array);
          return relationshipDetailKeys.map((k) => [k, f[k] ?? '']);
        },
      );
    },
  },
  lsrcconsistgrp: {
    kind: 'info',
    spec: listSpec,
    run: (a, ctx) => {
      const p = ctx.partnership;
      return list(
        a,
        groupColumns,
        { RC_cg_id: 'id', RC_cg_name: 'name' },
        p.groups.map((g) => groupFields(p, g, ctx.array)),
        (ref) => groupDetail(p, groupFor(ctx, ref, false), ctx.array),
      );
    },
  },
  lsrcrelationshipprogress: {
    kind: 'info',
    spec: { values: ['delim'], booleans: ['nohdr'], object: 'optional' },
    run: (a, ctx) => {
      const p = ctx.partnership;
      const f = listFormat(a);
      const row = (ref: string): [string, string] => {
        const fields = relationshipFields(p, relationshipFor(ctx, ref, false), ctx.array);
        return [fields.id ?? '', fields.progress ?? ''];
      };
      if (a.object !== null) {
        const [id, progress] = row(a.object);
        return detailed(
          [
            ['id', id],
            ['progress', progress],
          ],
          f,
        );
      }
      return concise(
        ['id', 'progress'],
        p.relationships.map((r) => row(String(r.id))),
        f,
      );
    },
  },
  lssystem: {
    kind: 'info',
    spec: { values: ['delim'], booleans: ['nohdr', 'bytes'], object: 'none' },
    run: (a, ctx) =>
      detailed(
        [
          ['id', ctx.array.clusterId],
          ['name', ctx.array.name],
          ['location', 'local'],
          ['partnership', ''],
          ['code_level', '8.4.0.10 (build 153.18.2306261504000)'],
          ['product_name', 'IBM Storwize V7000'],
          ['time_zone', '522 UTC'],
        ],
        listFormat(a),
      ),
  },
  ...actions('relationship', 'rcrelationship'),
  ...actions('group', 'rcconsistgrp'),
};

/** The command name of a line, without prefix; '' when it does not parse. */
export function verbOf(line: string): string {
  try {
    const tokens = tokenize(line);
    const i = tokens[0] === 'svcinfo' || tokens[0] === 'svctask' ? 1 : 0;
    return tokens[i] ?? '';
  } catch {
    return '';
  }
}

export async function runCli(line: string, ctx: CliContext): Promise<CliResult> {
  let tokens: string[];
  try {
    tokens = tokenize(line);
  } catch (err) {
    if (err instanceof ShellError) return { stdout: '', stderr: `${err.message}\n`, code: 1 };
    throw err;
  }
  const prefix = tokens[0] === 'svcinfo' || tokens[0] === 'svctask' ? tokens.shift() : undefined;
  const verb = tokens.shift() ?? '';
  if (verb === '') return { stdout: '', stderr: '', code: 0 };
  const cmd = commands[verb];
  try {
    if (!cmd) {
      if (prefix) throw new SimCliError('CMMVC6051E');
      return { stdout: '', stderr: `rbash: ${verb}: command not found\n`, code: 127 };
    }
    if (prefix && (prefix === 'svcinfo') !== (cmd.kind === 'info')) throw new SimCliError('CMMVC6051E');
    ctx.partnership.tickAll(Date.now());
    const stdout = await cmd.run(parseArgs(tokens, cmd.spec), ctx);
    return { stdout, stderr: '', code: 0 };
  } catch (err) {
    if (err instanceof SimCliError) return { stdout: '', stderr: `${err.message}\n`, code: 1 };
    throw err;
  }
}
