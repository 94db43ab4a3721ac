import { createInterface } from 'node:readline/promises';
import { readEnvOptions } from '../../config/env.js';
import { loadTopology } from '../../config/load.js';
import { type Command, parseCommandTokens } from '../../domain/command-grammar.js';
import { BasculeError, UsageError } from '../../domain/errors.js';
import { renderPreflightReport } from '../../domain/preflight/render-text.js';
import type { MoveRequest } from '../../domain/preflight/types.js';
import { gatherPreflight } from '../../jobs/preflight/gather.js';
import { activeRuns, getRunState, type RunRecord } from '../../jobs/run/index.js';
import { grammarContext } from '../grammar-context.js';
import { type CliContext, EXIT } from '../types.js';
import { cliUser, followRun, warnIfNoWorker, withControl } from './run-support.js';

/** What the approvers are told before they type their names: a failover, and an override, say so. */
function approvalReason(run: RunRecord): string | null {
  if (run.kind === 'test-failover') {
    return `FAILOVER TEST ${run.from} -> ${run.to}: copies of the Zerto VPGs' VMs start at ${run.to} on the test network; production keeps running.`;
  }
  if (run.kind !== 'failover') return null;
  const f = run.fencing;
  if (f?.override) {
    return (
      `FAILOVER ${run.from} -> ${run.to} with the fencing guard overridden` +
      (f.targets.length > 0 ? ` (${run.from} still answers: ${f.targets.join(', ')})` : '') +
      `: two operators other than ${run.requestedBy} must approve, because the source may still run these VMs.`
    );
  }
  return `FAILOVER ${run.from} -> ${run.to} (unplanned): the replicas at ${run.to} become writable and the VMs start there.`;
}

/**
 * `count` distinct operators approve on this terminal, each typing their name and the plan code.
 * One approver sees exactly the prompt of a single approval (the demo and console answer it).
 * One readline for all of them: answers piped in at once are not lost between two prompts.
 */
async function askApprovals(
  requester: string,
  planHash: string,
  count: number,
  reason: string | null,
  ctx: CliContext,
): Promise<string[]> {
  if (reason) ctx.stderr.write(`${reason}\n`);
  const rl = createInterface({ input: process.stdin, output: ctx.stderr as NodeJS.WritableStream });
  const names: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const lead =
        count > 1 ? `Approval ${i + 1} of ${count} by another operator.` : 'Approval by a second operator.';
      const name = (await rl.question(`${lead} Your name: `)).trim();
      if (!name) {
        throw new BasculeError('APPROVAL_MISSING', 'no approver name given', {
          hint: 'Run again; or pass --yes.',
        });
      }
      if (name === requester) {
        throw new BasculeError('APPROVAL_SELF', `${name} requested the move and cannot approve it`, {
          hint: 'Another operator must type their name.',
        });
      }
      if (names.includes(name)) {
        throw new BasculeError('APPROVAL_DUPLICATE', `${name} already approved this run`, {
          hint: `${count} different operators, none of them ${requester}, must approve; nothing was queued.`,
        });
      }
      const code = planHash.slice(0, 6);
      const typed = (await rl.question(`${name}, type ${code} to approve this plan: `)).trim();
      if (typed !== code) {
        throw new BasculeError('APPROVAL_DECLINED', 'the plan was not approved', {
          hint: 'Nothing was queued.',
        });
      }
      names.push(name);
    }
    return names;
  } finally {
    rl.close();
  }
}

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
      if (cmd.test)
        return { kind: 'test-failover', from: cmd.site, to: cmd.to, forceOff: false, ...datastores };
      return {
        kind: 'failover',
        from: cmd.site,
        to: cmd.to,
        forceOff: true,
        ...datastores,
        ...(cmd.overrideFencing ? { overrideFencing: true } : {}),
      };
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
  if (request.overrideFencing === true && flags.has('--yes')) {
    throw new UsageError(
      '--yes cannot approve a failover that overrides the fencing guard: two other operators must approve it here',
      usage,
    );
  }
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
    const override = request.overrideFencing === true;
    const run = await control.submit({
      plan: result.plan,
      requestedBy: user,
      // --yes stands for the one approval of an unattended move; never for an override.
      requiredApprovals: flags.has('--yes') ? 1 : topology.approvals.required,
      fencing: result.fencing ?? null,
      overrideFencing: override,
    });
    let approvers: string[];
    try {
      approvers = flags.has('--yes')
        ? [`${user} (--yes)`]
        : await askApprovals(user, result.plan.hash, run.requiredApprovals ?? 1, approvalReason(run), ctx);
      for (const approver of approvers) await control.approve(run.id, approver);
    } catch (err) {
      // Nothing was queued: the run must not hold its locks, awaiting approval, for ever.
      await control.cancel(run.id, user).catch(() => undefined);
      throw err;
    }
    await warnIfNoWorker(control, ctx);
    ctx.stdout.write(
      `Run ${run.id} queued (plan ${result.plan.hash.slice(0, 12)}, approved by ${approvers.join(', ')}).\n`,
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
