import { invalidName } from './errors.js';

// Commands are built from argv tokens, never from free text: object names are checked against the
// Storwize naming rules before use, and every token must be made of characters no shell gives a
// meaning to, so a name like `rc1; rmvdisk x` is refused here and never reaches the array.

const OBJECT_NAME = /^[A-Za-z_.][A-Za-z0-9_.-]{0,62}$/;
const SAFE_TOKEN = /^[A-Za-z0-9_.:=-]+$/;

export function isObjectName(name: string): boolean {
  return OBJECT_NAME.test(name);
}

/** The name, if it is one the array could hold; else a STORWIZE_INVALID_NAME error. */
export function objectName(name: string, what: string): string {
  if (!isObjectName(name)) throw invalidName(name, what);
  return name;
}

/** One exec request's command line. */
export function commandLine(argv: readonly string[]): string {
  if (argv.length === 0) throw invalidName('', 'command');
  for (const token of argv) {
    if (!SAFE_TOKEN.test(token)) throw invalidName(token, 'command argument');
  }
  return argv.join(' ');
}
