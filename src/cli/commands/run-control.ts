import { getRunState } from '../../jobs/run/index.js';
import { parseCliArgs } from '../args.js';
import type { CliCommand } from '../types.js';
import { EXIT } from '../types.js';
import { cliUser, oneRunId, renderRunState, withControl } from './run-support.js';

// `bascule run pause|resume|cancel RUN`: one factory, one command object per verb (see run-*.ts).

export function runControlCommand(verb: 'pause' | 'resume' | 'cancel', summary: string): CliCommand {
  const usage = `bascule run ${verb} RUN`;
  return {
    name: ['run', verb],
    summary,
    usage,
    async run(args, ctx) {
      const { positionals } = parseCliArgs(args, {}, usage);
      const runId = oneRunId(positionals, usage);
      return withControl(ctx, async (control) => {
        await control[verb](runId, cliUser(ctx.env));
        ctx.stdout.write(renderRunState(await getRunState(control.store, runId)));
        return EXIT.ok;
      });
    },
  };
}
