import { command as configCheck } from './commands/config-check.js';
import { command as web } from './commands/web.js';
import { command as worker } from './commands/worker.js';
import type { CliCommand } from './types.js';

// Every CLI command, in the order `bascule --help` lists them.
export const commands: CliCommand[] = [web, worker, configCheck];
