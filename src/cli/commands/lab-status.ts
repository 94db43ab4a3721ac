import { resolve } from 'node:path';
import { labStatus } from '../../../lab/lab.js';
import { UsageError } from '../../domain/errors.js';
import { parseCliArgs } from '../args.js';
import { type CliCommand, EXIT } from '../types.js';

const usage = 'bascule lab status [--dir DIR] [--json]   (DIR defaults to .lab; exit 1 when a part is down)';

export const command: CliCommand = {
  name: ['lab', 'status'],
  summary: 'Show whether each part of the lab is running and answering',
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseCliArgs(
      args,
      { dir: { type: 'string' }, json: { type: 'boolean' } },
      usage,
    );
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, usage);
    const status = await labStatus(resolve(ctx.cwd, values.dir ?? '.lab'));
    if (values.json) {
      ctx.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    } else {
      const width = Math.max(...status.parts.map((p) => p.name.length));
      ctx.stdout.write(
        [
          `Lab (${status.size}) in ${status.dir}, started ${status.startedAt}: ${status.healthy ? 'healthy' : 'NOT healthy'}`,
          ...status.processes.map(
            (p) => `  process ${p.role} (pid ${p.pid}): ${p.running ? 'running' : 'gone'}`,
          ),
          ...status.parts.map(
            (p) =>
              `  ${p.name.padEnd(width)}  ${p.answering ? 'answering' : 'DOWN     '}  ${p.endpoint}  (${p.detail})`,
          ),
          status.healthy ? '' : 'Restart it: bascule lab down, then bascule lab up.\n',
        ].join('\n'),
      );
    }
    return status.healthy ? EXIT.ok : EXIT.failure;
  },
};
