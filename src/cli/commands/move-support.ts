import { readEnvOptions } from '../../config/env.js';
import { loadTopology } from '../../config/load.js';
import { type Command, parseCommandTokens } from '../../domain/command-grammar.js';
import { UsageError } from '../../domain/errors.js';
import { renderPreflightReport } from '../../domain/preflight/render-text.js';
import type { MoveRequest } from '../../domain/preflight/types.js';
import { gatherPreflight } from '../../jobs/preflight/gather.js';
import { activeRuns, getRunState } from '../../jobs/run/index.js';
import { grammarContext } from '../grammar-context.js';
import { type CliContext, EXIT } from '../types.js';
import { askApproval, cliUser, followRun, warnIfNoWorker, withControl } from './run-support.js';

// migrate / failback / failover on the terminal: preflight, report, approval by a second operator
// (or --yes), queue the run, then follow it to the end (or --detach: print the run id).

const cliFlags = ['--yes', '--detach', '--json'] as const;

/** The move request of a parsed command; failback goes back to `site` from the other site. */
function requestOf(cmd: Command, sites: string[], usage: string): MoveRequest {
  const datastores = 'datastores' in cmd && cmd.datastores.length > 0 ? { datastores: cmd.datastores } : {};
  switch (cmd.verb) {
    case 'migrate':
      return {
        kind: 'migrate',
        from: cmd.site,
        to: cmd.to,
        forceOff: cmd.forceOff,
        ...datastores,
        ...(cmd.mode ? { mode: cmd.mode } : {}),
      };
    case 'failover':
      return { kind: 'failover', from: cmd.site, to: cmd.to, forceOff: true, ...datastores };
    case 'failback': {
      const other = sites.find((s) => s !== cmd.site) ?? cmd.site;
      return { kind: 'failback', from: other, to: cmd.site, forceOff: true, ...datastores };
    }
    default:
      throw new UsageError(`not a move: ${cmd.verb}`, usage);
  }
}

export async function runMove(
  verb: 'migrate' | 'failback' | 'failover',
  args: string[],
  ctx: CliContext,
  usage: string,
): Promise<number> {
  const flags = new Set(args.filter((a) => (cliFlags as readonly string[]).includes(a)));
  const options = readEnvOptions(ctx.env);
  const topology = loadTopology(options.configPath);
  const cmd = parseCommandTokens(
    verb,
    args.filter((a) => !flags.has(a)),
    grammarContext(topology),
  );
  if (cmd.verb !== verb) throw new UsageError(`not a ${verb} command`, usage);
  const request = requestOf(
    cmd,
    topology.sites.map((s) => s.name),
    usage,
  );
  const user = cliUser(ctx.env);
  return withControl(ctx, async (control) => {
    const result = await gatherPreflight(
      { topology, env: ctx.env, activeRuns: () => activeRuns(control.store) },
      request,
    );
    if (flags.has('--json')) ctx.stdout.write(`${JSON.stringify(result)}\n`);
    else ctx.stdout.write(`${renderPreflightReport(result)}\n`);
    if (result.blocked) return EXIT.blocked;
    if ('dryRun' in cmd && cmd.dryRun) return EXIT.ok;
    const run = await control.submit({ plan: result.plan, requestedBy: user });
    const approver = flags.has('--yes') ? `${user} (--yes)` : await askApproval(user, result.plan.hash, ctx);
    await control.approve(run.id, approver);
    await warnIfNoWorker(control, ctx);
    ctx.stdout.write(
      `Run ${run.id} queued (plan ${result.plan.hash.slice(0, 12)}, approved by ${approver}).\n`,
    );
    if (flags.has('--detach')) {
      ctx.stdout.write(`${run.id}\n`);
      return EXIT.ok;
    }
    const end = await followRun(control, run.id, ctx);
    if (flags.has('--json'))
      ctx.stdout.write(`${JSON.stringify(await getRunState(control.store, run.id))}\n`);
    return end.status === 'succeeded' ? EXIT.ok : EXIT.failure;
  });
}
