import { UsageError } from '../../domain/errors.js';
import { getRunState } from '../../jobs/run/index.js';
import { parseCliArgs } from '../args.js';
import { type CliCommand, EXIT } from '../types.js';
import { askApproval, cliUser, renderRunState, withControl } from './run-support.js';

// A step that cannot succeed but whose goal an operator reached by hand (a VM moved in vSphere, a
// replication switched on the array's GUI) is marked skipped, with a reason and a second
// operator's approval, both in the audit; `bascule run retry RUN UNIT` then carries the unit on.

const usage =
  'bascule run skip RUN UNIT STEP --reason TEXT [--approved-by NAME]   (STEP: its number or kind, e.g. 4 or switch-replication)';

export const command: CliCommand = {
  name: ['run', 'skip'],
  summary: 'Mark a failed (or pending) step done by hand, with a reason and a second approval',
  usage,
  async run(args, ctx) {
    const { positionals, values } = parseCliArgs(
      args,
      { reason: { type: 'string' }, 'approved-by': { type: 'string' } },
      usage,
    );
    const [runId, unitId, stepArg, extra] = positionals;
    if (!runId || !unitId || !stepArg) throw new UsageError('RUN, UNIT and STEP are required', usage);
    if (extra !== undefined) throw new UsageError(`unexpected "${extra}"`, usage);
    const reason = values.reason?.trim() ?? '';
    if (!reason) throw new UsageError('--reason is required: say what was done by hand', usage);
    const user = cliUser(ctx.env);
    return withControl(ctx, async (control) => {
      const run = await control.store.require(runId);
      const steps = run.units[unitId]?.steps;
      if (!steps) {
        const units = Object.keys(run.units).join(', ');
        throw new UsageError(`run ${runId} has no unit ${unitId} (units: ${units})`, usage);
      }
      const byNumber = /^\d+$/.test(stepArg) ? Number(stepArg) - 1 : -1;
      const step = byNumber >= 0 ? byNumber : steps.findIndex((s) => s.kind === stepArg);
      const record = steps[step];
      if (record === undefined) {
        const list = steps.map((s, i) => `${i + 1} ${s.kind}`).join(', ');
        throw new UsageError(`unit ${unitId} has no step "${stepArg}" (steps: ${list})`, usage);
      }
      const what = `Skip step ${step + 1} (${record.kind}) of ${unitId} in run ${runId}`;
      const approvedBy = values['approved-by']?.trim() || (await askApproval(user, run.planHash, what, ctx));
      await control.skip(runId, { unitId, step, user, reason, approvedBy });
      ctx.stdout.write(
        `${what}: done, approved by ${approvedBy}. Carry the unit on with: bascule run retry ${runId} ${unitId}\n`,
      );
      ctx.stdout.write(renderRunState(await getRunState(control.store, runId)));
      return EXIT.ok;
    });
  },
};
