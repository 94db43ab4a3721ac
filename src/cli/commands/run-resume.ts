import { runControlCommand } from './run-control.js';

export const command = runControlCommand('resume', 'Resume a paused run');
