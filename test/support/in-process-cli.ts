import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  /** stdout and stderr interleaved, as an operator's terminal shows them. */
  out: string;
  stdout: string;
  stderr: string;
}

/** Runs `bascule ARGS` in this process with `env` as its whole environment, capturing its output. */
export async function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  const r = { out: '', stdout: '', stderr: '' };
  const sink = (own: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk, _enc, cb) {
        const s = String(chunk);
        r[own] += s;
        r.out += s;
        cb();
      },
    });
  const code = await main(args, { env, stdout: sink('stdout'), stderr: sink('stderr') });
  return { code, ...r };
}
