import { UsageError } from '../../domain/errors.js';
import { getRunState } from '../../jobs/run/index.js';
import { parseCliArgs } from '../args.js';
import { type CliCommand, EXIT } from '../types.js';
import { cliUser, renderRunState, withControl } from './run-support.js';

const usage = 'bascule run retry RUN [UNIT]   (failed units from their failed step; one unit when named)';

export const command: CliCommand = {
  name: ['run', 'retry'],
  summary: 'Retry the failed units of a run from their failed step',
  usage,
  async run(args, ctx) {
    const { positionals } = parseCliArgs(args, {}, usage);
    const [runId, unit, extra] = positionals;
    if (!runId) throw new UsageError('missing RUN id', usage);
    if (extra !== undefined) throw new UsageError(`unexpected "${extra}"`, usage);
    return withControl(ctx, async (control) => {
      await control.retry(runId, cliUser(ctx.env), unit ?? null);
      ctx.stdout.write(renderRunState(await getRunState(control.store, runId)));
      return EXIT.ok;
    });
  },
};
