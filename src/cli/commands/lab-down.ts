import { resolve } from 'node:path';
import { stopLab } from '../../../lab/lab.js';
import { UsageError } from '../../domain/errors.js';
import { parseCliArgs } from '../args.js';
import { type CliCommand, EXIT } from '../types.js';

const usage = 'bascule lab down [--dir DIR]   (DIR defaults to .lab)';

export const command: CliCommand = {
  name: ['lab', 'down'],
  summary: 'Stop the lab started by `bascule lab up`',
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseCliArgs(args, { dir: { type: 'string' } }, usage);
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, usage);
    const dir = resolve(ctx.cwd, values.dir ?? '.lab');
    const outcome = await stopLab(dir);
    const lines = [
      ...outcome.stopped.map(
        (p) => `  stopped ${p.role} (pid ${p.pid})${outcome.killed.includes(p) ? ' with SIGKILL' : ''}`,
      ),
      // A recorded PID that is gone, or reused by another program, is left alone.
      ...outcome.absent.map((p) => `  ${p.role} (pid ${p.pid}) was no longer running`),
    ];
    ctx.stdout.write(`Lab in ${dir} stopped.\n${lines.join('\n')}\n`);
    return EXIT.ok;
  },
};
