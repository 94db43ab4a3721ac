import type { Plan } from '../../domain/plan/types.js';
import type { RunStore } from './run-store.js';
import type { RunRecord, RunStatus, StepError, StepState, UnitStatus } from './types.js';

// The run report, written when a run ends (and available any time): per unit timings, what moved,
// what failed and where everything is, as JSON for machines and Markdown for Slack and terminals.

export interface RunReport {
  runId: string;
  kind: string;
  from: string;
  to: string;
  status: RunStatus;
  requestedBy: string;
  approvals: Array<{ user: string; at: string }>;
  planHash: string;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  error: StepError | null;
  moved: string[];
  failed: string[];
  notMoved: string[];
  units: Array<{
    id: string;
    members: string[];
    vmCount: number;
    status: UnitStatus;
    durationMs: number | null;
    steps: Array<{
      kind: string;
      state: StepState;
      attempts: number;
      durationMs: number | null;
      summary: string | null;
      error: StepError | null;
      skipReason: string | null;
    }>;
  }>;
}

const span = (a: string | null, b: string | null) => (a && b ? Date.parse(b) - Date.parse(a) : null);

export function buildRunReport(run: RunRecord, plan: Plan): RunReport {
  const units = run.unitOrder.map((id) => {
    const u = run.units[id];
    const g = plan.groups.find((x) => x.id === id);
    return {
      id,
      members: g?.units ?? [id],
      vmCount: g?.vmCount ?? 0,
      status: u?.status ?? 'pending',
      durationMs: u ? span(u.startedAt, u.endedAt) : null,
      steps: (u?.steps ?? []).map((s) => ({
        kind: s.kind,
        state: s.state,
        attempts: s.attempts,
        durationMs: span(s.startedAt, s.endedAt),
        summary: s.outcome?.summary ?? null,
        error: s.error,
        skipReason: s.skipReason,
      })),
    };
  });
  return {
    runId: run.id,
    kind: run.kind,
    from: run.from,
    to: run.to,
    status: run.status,
    requestedBy: run.requestedBy,
    approvals: run.approvals,
    planHash: run.planHash,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    durationMs: span(run.startedAt, run.endedAt),
    error: run.error,
    moved: units.filter((u) => u.status === 'succeeded').map((u) => u.id),
    failed: units.filter((u) => u.status === 'failed').map((u) => u.id),
    notMoved: units.filter((u) => u.status !== 'succeeded' && u.status !== 'failed').map((u) => u.id),
    units,
  };
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return '-';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function renderRunReportMarkdown(r: RunReport): string {
  const lines = [
    `# Run ${r.runId}: ${r.kind} ${r.from} → ${r.to} — ${r.status}`,
    '',
    `- Requested by ${r.requestedBy}; approved by ${r.approvals.map((a) => a.user).join(', ') || 'nobody'}`,
    `- Plan hash \`${r.planHash.slice(0, 12)}\``,
    `- Started ${r.startedAt ?? '-'}, ended ${r.endedAt ?? '-'} (${formatDuration(r.durationMs)})`,
    `- Moved: ${r.moved.join(', ') || 'none'}`,
    `- Failed: ${r.failed.join(', ') || 'none'}`,
    `- Not moved: ${r.notMoved.join(', ') || 'none'}`,
  ];
  if (r.error)
    lines.push(`- Error [${r.error.code}]: ${r.error.message}${r.error.hint ? ` ${r.error.hint}` : ''}`);
  for (const u of r.units) {
    lines.push('', `## ${u.id} — ${u.status} (${u.vmCount} VMs, ${formatDuration(u.durationMs)})`, '');
    lines.push('| # | step | state | attempts | time | outcome |', '|---|---|---|---|---|---|');
    u.steps.forEach((s, i) => {
      const outcome = s.error
        ? `**[${s.error.code}]** ${s.error.message}`
        : (s.summary ?? (s.skipReason ? `skipped: ${s.skipReason}` : ''));
      lines.push(
        `| ${i + 1} | ${s.kind} | ${s.state} | ${s.attempts} | ${formatDuration(s.durationMs)} | ${outcome.replace(/\|/g, '\\|')} |`,
      );
    });
  }
  return `${lines.join('\n')}\n`;
}

/** The report of a run: the one stored when it ended, else built from its current state. */
export async function loadRunReport(
  store: RunStore,
  runId: string,
): Promise<{ json: RunReport; markdown: string }> {
  const stored = await store.redis.get(store.keys.report(runId));
  const json = stored
    ? (JSON.parse(stored) as RunReport)
    : buildRunReport(await store.require(runId), await store.plan(runId));
  return { json, markdown: renderRunReportMarkdown(json) };
}
