import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { complete } from '../../src/cli/console/complete.js';
import { parseConsoleLine } from '../../src/cli/console/dispatch.js';
import { followInConsole } from '../../src/cli/console/follow.js';
import type { CliContext } from '../../src/cli/types.js';
import { createRunHarness, ended, type RunHarness } from '../support/run-harness.js';
import { COLD_STEPS, testPlan } from '../support/run-plans.js';
import { worldKeys } from '../support/world-executors.js';

// The console's pieces without a terminal: its line grammar, completion, and the follower (the
// card redrawn in place with cursor movement; detaching leaves the run going) on the world engine.

let h: RunHarness;
beforeEach(async () => {
  h = await createRunHarness();
});
afterEach(async () => {
  await h.cleanup();
});

function sink(): { ctx: CliContext; text: () => string } {
  let out = '';
  const stdout = new Writable({
    write(chunk, _enc, cb) {
      out += String(chunk);
      cb();
    },
  });
  return { ctx: { env: {}, stdout, stderr: stdout, cwd: '.' }, text: () => out };
}

async function until(test: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!test()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('console follower', () => {
  it('redraws the card in place until the run ends, then prints the report', async () => {
    h.startEngine();
    const w = worldKeys(h.prefix);
    await h.redis.set(w.block('ds_a#unmount-datastore', 'before'), '1');
    const run = await h.start(testPlan({ units: [{ id: 'ds_a', steps: COLD_STEPS }] }));
    const { ctx, text } = sink();
    const following = followInConsole(h.control, run.id, ctx, {
      tty: true,
      columns: () => 100,
      signal: new AbortController().signal,
      redrawMs: 100,
    });
    await until(() => /▶ ds_a\s+running .*▶ unmount-datastore/.test(text()));
    await h.redis.del(w.block('ds_a#unmount-datastore', 'before'));
    expect(await following).toBe('ended');
    const out = text();
    // Later draws move the cursor up over the previous card (3 lines) and clear below it.
    expect(out).toContain('\x1b[3A\r\x1b[J');
    expect(out).toMatch(/✓ ds_a\s+succeeded \[█{12}\]/);
    expect(out).toContain(`# Run ${run.id}: migrate site5 → lognes — succeeded`);
  });

  it('detaches on abort and leaves the run going', async () => {
    h.startEngine();
    const w = worldKeys(h.prefix);
    await h.redis.set(w.block('ds_a#unmount-datastore', 'before'), '1');
    const run = await h.start(testPlan({ units: [{ id: 'ds_a', steps: COLD_STEPS }] }));
    await h.waitForKey(w.entered('ds_a#unmount-datastore', 'before'));
    for (const tty of [true, false]) {
      const abort = new AbortController();
      const { ctx } = sink();
      const following = followInConsole(h.control, run.id, ctx, {
        tty,
        columns: () => 100,
        signal: abort.signal,
      });
      setTimeout(() => abort.abort(), 300);
      expect(await following).toBe('detached');
    }
    expect((await h.control.store.require(run.id)).status).toBe('running');
    await h.redis.del(w.block('ds_a#unmount-datastore', 'before'));
    expect((await h.waitFor(run.id, ended)).status).toBe('succeeded');
  });
});

describe('console lines and completion', () => {
  it('maps lines to bascule commands, with or without the slash', () => {
    expect(parseConsoleLine('/migrate site5 --to lognes')).toEqual({
      kind: 'run',
      argv: ['migrate', 'site5', '--to', 'lognes'],
      move: true,
    });
    expect(parseConsoleLine('status r-0a1b2c')).toMatchObject({ argv: ['status', 'r-0a1b2c'], move: false });
    expect(parseConsoleLine('/pause r-0a1b2c')).toMatchObject({ argv: ['run', 'pause', 'r-0a1b2c'] });
    expect(parseConsoleLine('/bascule retry r-0a1b2c ds_a')).toMatchObject({
      argv: ['run', 'retry', 'r-0a1b2c', 'ds_a'],
    });
    expect(parseConsoleLine('  ')).toEqual({ kind: 'empty' });
    expect(parseConsoleLine('help migrate')).toEqual({ kind: 'help', topic: 'migrate' });
    expect(parseConsoleLine('quit')).toEqual({ kind: 'exit' });
    expect(() => parseConsoleLine('/frobnicate')).toThrow(/unknown command "frobnicate"/);
    expect(() => parseConsoleLine('worker')).toThrow(/unknown command/);
  });

  it('completes commands, sites, datastores, flags and run ids', async () => {
    const source = {
      sites: ['site5', 'lognes'],
      units: ['LV-SITE5-01', 'SAN-1'],
      runIds: async () => ['r-aaaaaa'],
    };
    expect(await complete('/mig', source)).toEqual([['/migrate '], '/mig']);
    expect(await complete('st', source)).toEqual([['status '], 'st']);
    expect(await complete('/migrate s', source)).toEqual([['site5 '], 's']);
    expect(await complete('/migrate site5 --to l', source)).toEqual([['lognes '], 'l']);
    expect((await complete('/migrate site5 --to lognes --datastore ', source))[0]).toEqual([
      'LV-SITE5-01 ',
      'SAN-1 ',
    ]);
    expect(await complete('/migrate site5 --de', source)).toEqual([['--detach '], '--de']);
    expect(await complete('/status r-', source)).toEqual([['r-aaaaaa '], 'r-']);
    expect(await complete('/status r-aaaaaa ', source)).toEqual([[], '']);
  });
});
