import { usages } from '../../domain/command-grammar.js';
import type { CliCommand } from '../types.js';
import { runMove } from './move-support.js';

const usage = `${usages.failover.replace(/^\//, 'bascule ')} [--yes] [--detach] [--json]`;

export const command: CliCommand = {
  name: ['failover'],
  summary: 'Start the VMs of a failed site at the other site',
  usage,
  run: (args, ctx) => runMove('failover', args, ctx, usage),
};
