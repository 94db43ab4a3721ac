import { command as configCheck } from './commands/config-check.js';
import { command as consoleCommand } from './commands/console.js';
import { command as demo } from './commands/demo.js';
import { command as failback } from './commands/failback.js';
import { command as failover } from './commands/failover.js';
import { command as history } from './commands/history.js';
import { command as labBuild } from './commands/lab-build.js';
import { command as labDown } from './commands/lab-down.js';
import { command as labStatus } from './commands/lab-status.js';
import { command as labUp } from './commands/lab-up.js';
import { command as maintenance } from './commands/maintenance.js';
import { command as migrate } from './commands/migrate.js';
import { command as preflight } from './commands/preflight.js';
import { command as runCancel } from './commands/run-cancel.js';
import { command as runPause } from './commands/run-pause.js';
import { command as runResume } from './commands/run-resume.js';
import { command as runRetry } from './commands/run-retry.js';
import { command as runSkip } from './commands/run-skip.js';
import { command as status } from './commands/status.js';
import { command as web } from './commands/web.js';
import { command as worker } from './commands/worker.js';
import type { CliCommand } from './types.js';

// Every CLI command, in the order `bascule --help` lists them.
export const commands: CliCommand[] = [
  preflight,
  migrate,
  failback,
  failover,
  status,
  history,
  maintenance,
  runPause,
  runResume,
  runCancel,
  runRetry,
  runSkip,
  consoleCommand,
  web,
  worker,
  configCheck,
  labUp,
  labDown,
  labStatus,
  labBuild,
  demo,
];
