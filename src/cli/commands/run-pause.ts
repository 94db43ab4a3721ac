import { runControlCommand } from './run-control.js';

export const command = runControlCommand('pause', 'Pause a run after the steps in progress');
