import { UsageError } from '../../domain/errors.js';
import { getRunState, type RunState } from '../../jobs/run/index.js';
import { parseCliArgs } from '../args.js';
import { type CliCommand, EXIT } from '../types.js';
import { renderRunState, withControl } from './run-support.js';

const usage = 'bascule status [RUN] [--json]   (without RUN: the active runs, else the latest ones)';

export const command: CliCommand = {
  name: ['status'],
  summary: 'State of a run (units × steps, percent, ETA), or of the active runs',
  usage,
  async run(args, ctx) {
    const { positionals, values } = parseCliArgs(args, { json: { type: 'boolean' } }, usage);
    if (positionals.length > 1) throw new UsageError(`unexpected "${positionals[1]}"`, usage);
    return withControl(ctx, async (control) => {
      let states: RunState[];
      if (positionals[0]) states = [await getRunState(control.store, positionals[0])];
      else {
        const active = await control.store.activeIds();
        const ids = active.length > 0 ? active : (await control.store.list(5)).map((r) => r.id);
        states = await Promise.all(ids.map((id) => getRunState(control.store, id)));
      }
      if (values.json) ctx.stdout.write(`${JSON.stringify(positionals[0] ? states[0] : states, null, 2)}\n`);
      else if (states.length === 0) ctx.stdout.write('No run yet.\n');
      else ctx.stdout.write(states.map(renderRunState).join('\n'));
      return EXIT.ok;
    });
  },
};
