import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { followRun } from '../../src/cli/commands/run-support.js';
import { runCli } from '../support/in-process-cli.js';
import { createRunHarness, ended, REDIS_URL, type RunHarness } from '../support/run-harness.js';
import { COLD_STEPS, testPlan } from '../support/run-plans.js';
import { worldKeys } from '../support/world-executors.js';

// The run commands of the CLI against Redis and an engine with the world executors: status,
// history, run pause/resume/cancel/retry, with their exit codes.

let h: RunHarness;
beforeEach(async () => {
  h = await createRunHarness();
});
afterEach(async () => {
  await h.cleanup();
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await runCli(args, {
    REDIS_URL,
    BASCULE_KEY_PREFIX: h.prefix,
    BASCULE_USER: 'erin',
    BASCULE_CONFIG: 'config/sites.example.yaml',
  });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

describe('bascule run commands', () => {
  it('shows status and history, pauses, resumes and retries a run', async () => {
    h.startEngine();
    const w = worldKeys(h.prefix);
    await h.redis.set(w.block('ds_a#unmount-datastore', 'before'), '1');
    await h.redis.set(w.fail('ds_b#mount-datastore'), 'MOUNT_FAILED');
    const run = await h.start(
      testPlan({
        maxParallelUnits: 1,
        units: [
          { id: 'ds_a', steps: COLD_STEPS },
          { id: 'ds_b', steps: COLD_STEPS },
        ],
      }),
    );
    await h.waitForKey(w.entered('ds_a#unmount-datastore', 'before'));

    const status = await cli(['status', run.id]);
    expect(status.code).toBe(0);
    expect(status.out).toContain(`Run ${run.id}: migrate site5 -> lognes, running`);
    expect(status.out).toMatch(/ds_a\s+running\s+✓shutdown-vms {2}▶unmount-datastore/);

    expect((await cli(['run', 'pause', run.id])).code).toBe(0);
    await h.redis.del(w.block('ds_a#unmount-datastore', 'before'));
    await h.waitFor(run.id, (r) => r.status === 'paused' && r.units.ds_a?.status === 'paused');
    const again = await cli(['run', 'pause', run.id]);
    expect(again.code).toBe(1);
    expect(again.err).toContain('[RUN_STATE] cannot pause run');

    expect((await cli(['run', 'resume', run.id])).code).toBe(0);
    const failed = await h.waitFor(run.id, ended);
    expect(failed.status).toBe('failed');
    const json = await cli(['status', run.id, '--json']);
    expect(JSON.parse(json.out)).toMatchObject({ id: run.id, status: 'failed', etaMs: null });

    await h.redis.del(w.fail('ds_b#mount-datastore'));
    expect((await cli(['run', 'retry', run.id, 'ds_b'])).code).toBe(0);
    expect((await h.waitFor(run.id, (r) => ended(r) && r.generation === 2)).status).toBe('succeeded');

    const hist = await cli(['history', run.id]);
    expect(hist.code).toBe(0);
    const lines = hist.out.trim().split('\n');
    expect(lines[0]).toContain('run-created');
    expect(lines.filter((l) => /command-(pause|resume|retry)\s+erin/.test(l))).toHaveLength(3);
    expect(hist.out).toContain('step-failed');
    expect(lines.at(-1)).toContain('run-ended');
  });

  it('follows a run on the terminal until it ends, then prints the report', async () => {
    h.startEngine();
    await h.redis.set(worldKeys(h.prefix).fail('ds_b#switch-replication'), 'SWITCH_REFUSED');
    const run = await h.start(
      testPlan({
        maxParallelUnits: 1,
        units: [
          { id: 'ds_a', steps: COLD_STEPS },
          { id: 'ds_b', steps: COLD_STEPS },
        ],
      }),
    );
    let out = '';
    const stdout = new Writable({
      write(chunk, _enc, cb) {
        out += String(chunk);
        cb();
      },
    });
    const end = await followRun(h.control, run.id, { env: {}, stdout, stderr: stdout, cwd: '.' });
    expect(end.status).toBe('failed');
    expect(out).toContain('ds_a: step 1 shutdown-vms done');
    expect(out).toContain('ALERT ds_b: [SWITCH_REFUSED]');
    expect(out).toContain(`run ${run.id}: failed`);
    expect(out).toContain(`# Run ${run.id}: migrate site5 → lognes — failed`);
    expect(out).toContain('- Moved: ds_a');
  });

  it('skips a failed step done by hand, with a reason and a second operator, then retry carries on', async () => {
    h.startEngine();
    const w = worldKeys(h.prefix);
    await h.redis.set(w.fail('ds_a#switch-replication'), 'SWITCH_REFUSED');
    const run = await h.start(testPlan({ maxParallelUnits: 1, units: [{ id: 'ds_a', steps: COLD_STEPS }] }));
    expect((await h.waitFor(run.id, ended)).status).toBe('failed');

    const noReason = await cli(['run', 'skip', run.id, 'ds_a', 'switch-replication', '--approved-by', 'bob']);
    expect(noReason.code).toBe(2);
    expect(noReason.err).toContain('--reason is required');
    const self = await cli([
      'run',
      'skip',
      run.id,
      'ds_a',
      'switch-replication',
      '--reason',
      'x',
      '--approved-by',
      'erin',
    ]);
    expect(self.code).toBe(1);
    expect(self.err).toContain('[APPROVAL_SELF]');
    const unknown = await cli([
      'run',
      'skip',
      run.id,
      'ds_a',
      'nope',
      '--reason',
      'x',
      '--approved-by',
      'bob',
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('steps: 1 shutdown-vms');

    const reason = 'switched by hand on the array GUI';
    const skip = await cli([
      'run',
      'skip',
      run.id,
      'ds_a',
      'switch-replication',
      '--reason',
      reason,
      '--approved-by',
      'bob',
    ]);
    expect(skip.code).toBe(0);
    expect(skip.out).toContain(`bascule run retry ${run.id} ds_a`);
    await h.redis.del(w.fail('ds_a#switch-replication'));
    expect((await cli(['run', 'retry', run.id, 'ds_a'])).code).toBe(0);
    // It was failed: it ends again only after the retry.
    const done = await h.waitFor(run.id, (r) => r.status === 'succeeded');
    const steps = done.units.ds_a?.steps ?? [];
    expect(steps.find((s) => s.kind === 'switch-replication')).toMatchObject({
      state: 'skipped',
      skipReason: reason,
    });
    expect(steps.filter((s) => s.kind !== 'switch-replication').every((s) => s.state === 'done')).toBe(true);
    const hist = await cli(['history', run.id]);
    expect(hist.out).toMatch(/command-skip\s+erin/);
  });

  it('refuses bad input with usage errors and unknown runs with a hint', async () => {
    expect((await cli(['run', 'cancel'])).code).toBe(2);
    const missing = await cli(['status', 'r-000000']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('[RUN_NOT_FOUND] no run r-000000');
    const empty = await cli(['status']);
    expect(empty.out).toBe('No run yet.\n');
  });
});
