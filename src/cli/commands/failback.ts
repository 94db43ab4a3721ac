import { usages } from '../../domain/command-grammar.js';
import type { CliCommand } from '../types.js';
import { runMove } from './move-support.js';

const usage = `${usages.failback.replace(/^\//, 'bascule ')} [--yes] [--detach] [--json]`;

export const command: CliCommand = {
  name: ['failback'],
  summary: 'Bring the VMs back to their home site after a move',
  usage,
  run: (args, ctx) => runMove('failback', args, ctx, usage),
};
