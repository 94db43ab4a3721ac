import { command as configCheck } from './commands/config-check.js';
import { command as labBuild } from './commands/lab-build.js';
import { command as labDown } from './commands/lab-down.js';
import { command as labStatus } from './commands/lab-status.js';
import { command as labUp } from './commands/lab-up.js';
import { command as web } from './commands/web.js';
import { command as worker } from './commands/worker.js';
import type { CliCommand } from './types.js';

// Every CLI command, in the order `bascule --help` lists them.
export const commands: CliCommand[] = [web, worker, configCheck, labUp, labDown, labStatus, labBuild];
