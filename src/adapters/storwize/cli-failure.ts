import { StorwizeError } from './errors.js';
import { parseCmmvc } from './parse.js';

// A non-zero exit status turned into a typed error. The CMMVC id decides the code; the array's own
// message is kept in the error text, since it is what a storage admin searches for.

const notFound = new Set(['CMMVC5753E', 'CMMVC5754E', 'CMMVC5804E']);
// 5982: not valid in the current state; 5963: idling, no direction given.
const wrongState = new Set(['CMMVC5982E', 'CMMVC5963E']);

export function cliFailure(
  array: string,
  argv: readonly string[],
  exitCode: number,
  stderr: string,
): StorwizeError {
  const verb = (argv[0] === 'svcinfo' || argv[0] === 'svctask' ? argv[1] : argv[0]) ?? '';
  const object = argv.length > 2 ? argv[argv.length - 1] : undefined;
  const msg = parseCmmvc(stderr);
  const text = msg ? msg.text : stderr.trim().split(/\r?\n/)[0] || `exit status ${exitCode}`;
  const details = { array, command: verb, object, cmmvc: msg?.id ?? null, exitCode };
  if (msg && notFound.has(msg.id)) {
    return new StorwizeError('STORWIZE_NOT_FOUND', `${array}: ${verb} ${object ?? ''}: ${text}`, {
      hint: `Check that "${object}" exists on ${array} (svcinfo lsrcrelationship / lsrcconsistgrp) and that sites.yaml names it the same way.`,
      details,
    });
  }
  if (msg && wrongState.has(msg.id)) {
    return new StorwizeError('STORWIZE_WRONG_STATE', `${array}: ${verb} ${object ?? ''} refused: ${text}`, {
      hint: 'The unit is not in a state that allows this command. Read its status, then run the step again.',
      details,
    });
  }
  return new StorwizeError('STORWIZE_COMMAND_FAILED', `${array}: ${verb} failed: ${text}`, {
    hint: 'Read the array message above, fix the cause on the array, then run the step again.',
    details,
  });
}
