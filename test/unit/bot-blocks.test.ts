import { describe, expect, it } from 'vitest';
import { approvalPromptBlocks, decidedPromptBlocks } from '../../src/bot/blocks/approval-prompt.js';
import { finalReportBlocks } from '../../src/bot/blocks/final-report.js';
import { type Block, MAX_BLOCKS, MAX_TEXT, packLines } from '../../src/bot/blocks/limits.js';
import { preflightReportBlocks } from '../../src/bot/blocks/preflight-report.js';
import { progressCardBlocks } from '../../src/bot/blocks/progress-card.js';
import type { Plan } from '../../src/domain/plan/types.js';
import type { Finding, PreflightResult } from '../../src/domain/preflight/types.js';
import { buildRunReport } from '../../src/jobs/run/report.js';
import type { RunRecord, UnitStatus } from '../../src/jobs/run/types.js';
import { testPlan } from '../support/run-plans.js';

// Block Kit builders stay within Slack's limits however big the run: ≤ 50 blocks per message and
// ≤ 3,000 characters per text, summarising what does not fit.

const UNITS = 200;
const unitId = (i: number) => `SAN-SITE5-VERY-LONG-DATASTORE-NAME-${String(i).padStart(3, '0')}`;

function bigPlan(): Plan {
  return testPlan({
    units: Array.from({ length: UNITS }, (_, i) => ({
      id: unitId(i),
      steps: ['shutdown-vms', 'unregister-vms', 'switch-replication', 'register-vms', 'power-on-vms'],
    })),
  });
}

function texts(blocks: Block[]): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'text' && typeof x === 'string') out.push(x);
        else walk(x);
      }
    }
  };
  walk(blocks);
  return out;
}

function expectWithinLimits(blocks: Block[]): void {
  expect(blocks.length).toBeLessThanOrEqual(MAX_BLOCKS);
  for (const t of texts(blocks)) expect(t.length).toBeLessThanOrEqual(MAX_TEXT);
}

function runOf(plan: Plan, statusOf: (i: number) => UnitStatus): RunRecord {
  const at = '2026-11-25T20:00:00.000Z';
  const units: RunRecord['units'] = {};
  plan.groups.forEach((g, i) => {
    const status = statusOf(i);
    units[g.id] = {
      id: g.id,
      status,
      startedAt: status === 'pending' ? null : at,
      endedAt: status === 'succeeded' || status === 'failed' ? at : null,
      steps: g.steps.map((s, k) => ({
        kind: s.kind,
        state:
          status === 'succeeded'
            ? 'done'
            : status === 'failed' && k === 2
              ? 'failed'
              : k < 2 && status !== 'pending'
                ? 'done'
                : status === 'running' && k === 2
                  ? 'running'
                  : 'pending',
        startedAt: status === 'pending' ? null : at,
        endedAt: null,
        attempts: 1,
        estimateMs: s.estimateMs,
        progress: status === 'running' && k === 2 ? { percent: 40, message: 'switching' } : null,
        error:
          status === 'failed' && k === 2
            ? { code: 'STORWIZE_CLI', message: 'x'.repeat(400), hint: 'Check the array.' }
            : null,
        skipReason: null,
        outcome: null,
      })),
    };
  });
  return {
    id: 'r-big001',
    kind: plan.kind,
    from: plan.from,
    to: plan.to,
    requestedBy: 'U0LABALICE',
    approvals: [{ user: 'U0LABBOB01', at }],
    planHash: plan.hash,
    status: 'running',
    stopOnFailure: false,
    haltedBy: null,
    generation: 1,
    createdAt: at,
    startedAt: at,
    endedAt: null,
    error: null,
    units,
    unitOrder: plan.groups.map((g) => g.id),
    version: 10,
  };
}

const statuses: UnitStatus[] = ['succeeded', 'running', 'failed', 'pending', 'waiting'];

describe('Block Kit limits with 200 units', () => {
  it('preflight report: blocking findings first, every unit counted, within limits', () => {
    const plan = bigPlan();
    const findings: Finding[] = Array.from({ length: UNITS }, (_, i) => ({
      code: i % 2 ? 'REDUNDANCY_SAME_STOP_GROUP' : 'VM_HAS_SNAPSHOT',
      severity: i % 2 ? 'block' : 'warn',
      message: `vm-${i} ${'has a long explanation '.repeat(10)}`,
      objects: { vms: [`vm-${i}`] },
      fix: `Move vm-${i} elsewhere.`,
    }));
    const result: PreflightResult = {
      findings,
      plan,
      blocked: true,
      capacity: { site: 'lognes', clusters: [], datastores: [] },
    };
    const blocks = preflightReportBlocks(result);
    expectWithinLimits(blocks);
    const all = texts(blocks).join('\n');
    expect(all).toContain('BLOCKED (100 blocking, 100 warning(s)');
    expect(all).toMatch(/and \d+ more blocking finding\(s\)/);
    expect(all).toMatch(/and \d+ more unit\(s\)|SAN-SITE5-VERY-LONG-DATASTORE-NAME-199/);
    expect(all.indexOf('REDUNDANCY_SAME_STOP_GROUP')).toBeLessThan(all.indexOf('VM_HAS_SNAPSHOT'));
    expect(all).toContain(plan.hash.slice(0, 12));
  });

  it('progress card: active and failed units first, the rest summarised with counts', () => {
    const plan = bigPlan();
    const run = runOf(plan, (i) => statuses[i % statuses.length] as UnitStatus);
    const blocks = progressCardBlocks(run, { etaMs: 600_000, now: Date.parse('2026-11-25T20:01:00.000Z') });
    expectWithinLimits(blocks);
    const all = texts(blocks).join('\n');
    expect(all).toContain('40 succeeded, 40 running, 40 failed, 40 pending, 40 waiting');
    expect(all).toMatch(
      /:arrows_counterclockwise: `SAN-SITE5-VERY-LONG-DATASTORE-NAME-001` running · step 3\/5 switch-replication/,
    );
    expect(all).toMatch(/ETA 10m00s/);
    const actions = blocks.find((b) => b.type === 'actions');
    expect(JSON.stringify(actions)).toContain('bascule_pause');
    expect(JSON.stringify(actions)).toContain('bascule_retry');
    expect(JSON.stringify(actions)).toContain('"confirm"');
  });

  it('final report: failures with their error, within limits', () => {
    const plan = bigPlan();
    const run = { ...runOf(plan, (i) => (i % 3 === 0 ? 'failed' : 'succeeded')), status: 'failed' as const };
    const blocks = finalReportBlocks(buildRunReport(run, plan));
    expectWithinLimits(blocks);
    const all = texts(blocks).join('\n');
    expect(all).toContain('*Failed* (67)');
    expect(all).toContain('[STORWIZE_CLI]');
    expect(all).toContain('/bascule retry r-big001');
  });

  it('approval prompt: --at in the button, decided prompt without buttons', () => {
    const prompt = approvalPromptBlocks({
      runId: 'r-1',
      summary: 'migrate site5 → lognes, 200 unit(s)',
      requestedBy: 'U1',
      planHash: 'a'.repeat(64),
      required: 2,
      approvals: [],
      expiresAt: '2026-11-25T21:00:00.000Z',
      startAt: '2026-11-25T22:00:00.000Z',
      startAtLabel: '25 Nov 2026, 23:00 (Europe/Paris)',
    });
    expectWithinLimits(prompt);
    expect(JSON.stringify(prompt)).toContain('Approve and run at 25 Nov 2026, 23:00 (Europe/Paris)');
    const decided = decidedPromptBlocks('r-1', 'x', { kind: 'rejected', by: 'U2', at: 'now' });
    expect(JSON.stringify(decided)).not.toContain('bascule_approve');
    expect(JSON.stringify(decided)).toContain('rejected by <@U2>');
  });

  it('packLines never drops lines silently', () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${i} ${'y'.repeat(100)}`);
    const blocks = packLines(lines, 5, (n) => `… and ${n} more`);
    expect(blocks).toHaveLength(5);
    const all = texts(blocks).join('\n');
    const shown = all.split('\n').filter((l) => l.startsWith('line ')).length;
    expect(all).toContain(`… and ${1000 - shown} more`);
  });
});
