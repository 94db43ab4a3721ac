import { relative, resolve } from 'node:path';
import { startLab } from '../../../lab/lab.js';
import type { LabInfo } from '../../../lab/lab-info.js';
import { UsageError } from '../../domain/errors.js';
import { parseCliArgs } from '../args.js';
import { type CliCommand, EXIT } from '../types.js';

const usage = 'bascule lab up [--size small|large] [--dir DIR] [--time-scale F]   (DIR defaults to .lab)';

/** How to name the lab dir in printed commands: as typed when relative to here, else absolute. */
function shown(cwd: string, abs: string): string {
  const rel = relative(cwd, abs);
  return rel !== '' && !rel.startsWith('..') ? rel : abs;
}

function labSummary(info: LabInfo, dirShown: string): string {
  const arrays = info.storwize.arrays;
  const width = Math.max(...arrays.map((a) => a.name.length));
  return [
    `Lab (${info.size}) up in ${(info.startupMs / 1000).toFixed(1)} s in ${info.dir}`,
    `  vCenter    ${info.vcsim.url}   (trust ${dirShown}/ca.pem; any user logs in)`,
    ...arrays.map(
      (a, i) =>
        `  ${i === 0 ? 'Storwize' : '        '}   ${a.name.padEnd(width)}  ssh -p ${a.port} ${info.credentials.user}@${a.host}  ${a.hostKeySha256}`,
    ),
    `  Dell DSM   ${info.dsm.url}`,
    `  Zerto      ${info.zerto.url}   (paired ZVMs, local site ${info.zerto.site})`,
    `  Slack API  ${info.slack.apiUrl}   (stand-in; control at ${info.slack.url}/lab/state)`,
    `  Login      ${info.credentials.user} / ${info.credentials.password} everywhere (lab only); tokens in ${dirShown}/lab.env`,
    '',
    'Use it from this shell:',
    `  set -a; . ${dirShown}/lab.env; set +a      # or: export $(cat ${dirShown}/lab.env)`,
    `  bascule config check                     # BASCULE_CONFIG=${dirShown}/sites.yaml`,
    '',
    'Check and stop it:',
    `  bascule lab status --dir ${dirShown}`,
    `  bascule lab down --dir ${dirShown}`,
    '',
  ].join('\n');
}

export const command: CliCommand = {
  name: ['lab', 'up'],
  summary: 'Start the lab (vCenter simulator, array, Zerto and Slack stand-ins) in the background',
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseCliArgs(
      args,
      { size: { type: 'string' }, dir: { type: 'string' }, 'time-scale': { type: 'string' } },
      usage,
    );
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, usage);
    const size = values.size ?? 'small';
    if (size !== 'small' && size !== 'large')
      throw new UsageError(`--size must be small or large, not "${size}"`, usage);
    const timeScale = values['time-scale'] === undefined ? 1 : Number(values['time-scale']);
    if (!Number.isFinite(timeScale) || timeScale <= 0) {
      throw new UsageError(`--time-scale must be a positive number, not "${values['time-scale']}"`, usage);
    }
    const dir = resolve(ctx.cwd, values.dir ?? '.lab');
    ctx.stdout.write(`Starting the ${size} lab in ${dir}…\n`);
    const lab = await startLab({ size, dir, timeScale, detached: true });
    ctx.stdout.write(labSummary(lab.info, shown(ctx.cwd, dir)));
    return EXIT.ok;
  },
};
