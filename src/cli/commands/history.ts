import { UsageError } from '../../domain/errors.js';
import { history } from '../../jobs/run/index.js';
import { parseCliArgs } from '../args.js';
import { type CliCommand, EXIT } from '../types.js';
import { renderAudit, withControl } from './run-support.js';

const usage = 'bascule history [RUN] [--json]   (the audit trail of one run, or the latest entries)';

export const command: CliCommand = {
  name: ['history'],
  summary: 'Audit trail: commands, approvals, step starts and ends, with users and plan hash',
  usage,
  async run(args, ctx) {
    const { positionals, values } = parseCliArgs(args, { json: { type: 'boolean' } }, usage);
    if (positionals.length > 1) throw new UsageError(`unexpected "${positionals[1]}"`, usage);
    return withControl(ctx, async (control) => {
      const entries = await history(control.redis, control.store.keys, positionals[0]);
      ctx.stdout.write(values.json ? `${JSON.stringify(entries, null, 2)}\n` : renderAudit(entries));
      return EXIT.ok;
    });
  },
};
