import { usages } from '../../domain/command-grammar.js';
import type { CliCommand } from '../types.js';
import { runMove } from './move-support.js';

const usage = `${usages.migrate.replace(/^\//, 'bascule ')} [--yes] [--detach] [--json]`;

export const command: CliCommand = {
  name: ['migrate'],
  summary: 'Move the VMs of a site to the other site (preflight, approval, run, follow)',
  usage,
  run: (args, ctx) => runMove('migrate', args, ctx, usage),
};
