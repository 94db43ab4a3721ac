#!/usr/bin/env node
// `npm run bench -- NAME [args]`: runs bench/NAME.ts, which starts what it needs, prints a table
// and ends with one `RESULT NAME key=value ...` line.
import { readdirSync } from 'node:fs';
import { register } from 'tsx/esm/api';

const [name, ...rest] = process.argv.slice(2);
const dir = new URL('../bench/', import.meta.url);
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3));
if (!name || !available.includes(name)) {
  process.stderr.write(`usage: npm run bench -- NAME\navailable: ${available.join(', ') || '(none)'}\n`);
  process.exit(2);
}
register();
const mod = await import(new URL(`${name}.ts`, dir).href);
if (typeof mod.main !== 'function') {
  process.stderr.write(`bench/${name}.ts must export main(args)\n`);
  process.exit(2);
}
process.exitCode = await mod.main(rest);
