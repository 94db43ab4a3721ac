import { ensureVcsimBinary } from '../../../lab/vcsim/index.js';
import { UsageError } from '../../domain/errors.js';
import { parseCliArgs } from '../args.js';
import { type CliCommand, EXIT } from '../types.js';

const usage = 'bascule lab build   (needs golang-go and golang-github-vmware-govmomi-dev from Debian)';

export const command: CliCommand = {
  name: ['lab', 'build'],
  summary: "Build the lab's vCenter simulator (done on demand by lab up; CI does it up front)",
  usage,
  async run(args, ctx) {
    const { positionals } = parseCliArgs(args, {}, usage);
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, usage);
    const started = Date.now();
    const path = await ensureVcsimBinary();
    ctx.stdout.write(`vCenter simulator ready: ${path} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    return EXIT.ok;
  },
};
