import { runControlCommand } from './run-control.js';

export const command = runControlCommand('cancel', 'Cancel a run after the steps in progress');
