import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { readLabInfo, startLab, stopLab } from '../../../lab/index.js';
import { labUsers } from '../../../lab/slack/workspace.js';
import { ensureVcsimBinary } from '../../../lab/vcsim/index.js';
import { UsageError } from '../../domain/errors.js';
import { parseCliArgs } from '../args.js';
import { LabVcenter } from '../demo/lab-state.js';
import { DemoScreen } from '../demo/screen.js';
import { fullScope, runConsoleDemo } from '../demo/script.js';
import { startWorker, stopWorker } from '../demo/worker.js';
import { type CliCommand, type CliContext, EXIT } from '../types.js';

const usage = 'bascule demo [--dir .lab] [--unattended] [--time-scale F]';

// The README's first experience: the two-site lab, a worker, and an operator's session typed at
// `bascule console` on a pseudo-terminal (src/cli/demo/script.ts), its screen shown as it comes.
// Unattended (no terminal, or CI=true) it stops everything at the end and exits 0 only if every
// check held; on a terminal it leaves the lab running to play with.

interface Tty {
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

function localDate(daysAhead: number, time: string): string {
  const d = new Date(Date.now() + daysAhead * 86_400_000);
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', dateStyle: 'short' }).format(d);
  return `${parts} ${time}`;
}

async function withTicker<T>(ctx: CliContext, what: string, work: Promise<T>): Promise<T> {
  const started = Date.now();
  const tty = (ctx.stdout as Tty).isTTY === true;
  const elapsed = () => Math.round((Date.now() - started) / 1000);
  // A first build compiles govmomi for a minute or two: say so every second on a terminal (every
  // five in a log), so that nothing ever looks frozen.
  const timer = setInterval(
    () => {
      if (tty) ctx.stdout.write(`\r  ${what}… ${elapsed()} s `);
      else ctx.stdout.write(`  ${what}… ${elapsed()} s\n`);
    },
    tty ? 1_000 : 5_000,
  );
  try {
    const result = await work;
    ctx.stdout.write(
      `${tty ? '\r' : ''}  ${what}: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    return result;
  } finally {
    clearInterval(timer);
  }
}

/** On a terminal, Ctrl-C aborts the demo cleanly (keys are not echoed over the console's screen). */
function watchCtrlC(out: CliContext['stdout']): { signal: AbortSignal; stop(): void } {
  const abort = new AbortController();
  const input = process.stdin;
  if (!input.isTTY) return { signal: abort.signal, stop: () => undefined };
  const onData = (d: Buffer) => {
    if (!d.includes(0x03) || abort.signal.aborted) return;
    // The worker may take a few seconds to finish its step: say at once that the key was heard.
    out.write('\n^C Stopping the demo…\n');
    abort.abort();
  };
  input.setRawMode(true);
  input.on('data', onData);
  input.resume();
  return {
    signal: abort.signal,
    stop() {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
    },
  };
}

export const command: CliCommand = {
  name: ['demo'],
  summary:
    'Run a scripted migration and failback in the console, on the two-site lab (the README quick start)',
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseCliArgs(
      args,
      { dir: { type: 'string' }, unattended: { type: 'boolean' }, 'time-scale': { type: 'string' } },
      usage,
    );
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, usage);
    const unattended = values.unattended === true || ctx.env.CI === 'true' || !process.stdin.isTTY;
    const timeScale = Number(values['time-scale'] ?? (unattended ? '0.02' : '0.1'));
    if (!(timeScale > 0)) throw new UsageError('--time-scale must be a positive number', usage);
    const out = ctx.stdout;
    const tty = (out as Tty).isTTY === true;
    // Colours on a terminal only: a log gets plain text.
    const paint = (sgr: string, text: string) => (tty ? `\x1b[${sgr}m${text}\x1b[0m` : text);

    out.write(
      `${paint('1', 'Bascule demo: move site5 to lognes for a power cut, and back, in the console.')}\n`,
    );
    await withTicker(ctx, 'Building the lab vCenter simulator (Go)', ensureVcsimBinary());
    const dir = unattended
      ? await mkdtemp(join(tmpdir(), 'bascule-demo-'))
      : resolve(ctx.cwd, values.dir ?? '.lab');
    if (!unattended && (await readLabInfo(dir))) await stopLab(dir);
    const lab = await withTicker(
      ctx,
      `Starting the two-site lab in ${dir}`,
      startLab({ dir, detached: true, timeScale }),
    );
    const prefix = `demo-${randomBytes(3).toString('hex')}`;
    const history = join(dir, 'console-history');
    const labEnv = parseEnv(await readFile(lab.info.files.env, 'utf8')) as Record<string, string>;
    const env: Record<string, string> = {
      ...(Object.fromEntries(Object.entries(ctx.env).filter(([, v]) => v !== undefined)) as Record<
        string,
        string
      >),
      ...labEnv,
      BASCULE_USER: 'alice',
      // Each demo keeps to its own keys: runs and windows of an earlier demo (or of CI) never get
      // in its way, and it never touches an instance's real keys in the same Redis.
      BASCULE_KEY_PREFIX: prefix,
      BASCULE_HISTORY: history,
      LOG_LEVEL: 'warn',
    };
    const vcenter = new LabVcenter(lab.info.vcsim.controlUrl, await readFile(lab.info.files.ca, 'utf8'));
    // The console gets the screen it is shown on; a log gets lines wide enough for the reports.
    const columns = tty ? Math.max(60, (out as Tty).columns ?? 100) : 160;
    const rows = tty ? Math.max(20, (out as Tty).rows ?? 40) : 40;
    const screen = new DemoScreen({ write: (t) => out.write(t), tty, columns });
    let worker: ChildProcess | undefined;
    const keys = process.stdin.isTTY ? watchCtrlC(out) : null;
    let completed = false;
    try {
      worker = await withTicker(ctx, 'Starting a worker', startWorker(env));
      const stop = keys ? ' (Ctrl-C stops the demo)' : '';
      out.write(
        `\n${paint('1', `The operator alice opens \`bascule console\`; everything below is typed at its prompt${stop}.`)}\n`,
      );
      await runConsoleDemo({
        env,
        screen,
        vcenter,
        scope: fullScope,
        columns,
        rows,
        scheduledBy: labUsers.operator.id,
        typeDelayMs: tty && !unattended ? 25 : 0,
        window: { from: localDate(3, '07:00'), to: localDate(4, '19:00') },
        ...(keys ? { signal: keys.signal } : {}),
      });
      completed = true;
    } finally {
      screen.end();
      keys?.stop();
      if (worker) await stopWorker(worker);
      await vcenter.close();
      if (unattended) {
        await lab.stop();
        await rm(dir, { recursive: true, force: true });
      } else if (!completed) {
        out.write(`\nThe lab is still running. Stop it with: node bin/bascule.js lab down --dir ${dir}\n`);
      }
    }
    if (unattended) {
      out.write(`\n${paint('32', 'Demo complete: every step verified. The lab was stopped.')}\n`);
    } else {
      out.write(
        [
          '',
          `${paint('32', 'Demo complete: every step verified.')} The lab is still running, for you to play with:`,
          `  set -a; . ${lab.info.files.env}; set +a; export BASCULE_KEY_PREFIX=${prefix} BASCULE_HISTORY=${history}`,
          '  node bin/bascule.js worker &     # a worker for your runs',
          "  node bin/bascule.js console      # ↑ recalls the demo's commands",
          `Stop it with: node bin/bascule.js lab down --dir ${dir}`,
          '',
        ].join('\n'),
      );
    }
    return EXIT.ok;
  },
};
