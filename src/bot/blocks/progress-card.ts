import type { RunRecord, RunStatus, UnitRecord, UnitStatus } from '../../jobs/run/types.js';
import { type Block, capBlocks, context, formatMs, header, packLines, section } from './limits.js';

// The live progress card (the parent message of a run once approved): per unit a line with a status
// emoji, the current step, percent and ETA; overall counts; and the run's buttons. Built from the
// run document alone so that any process can redraw it.

export const PAUSE_ACTION = 'bascule_pause';
export const RESUME_ACTION = 'bascule_resume';
export const CANCEL_ACTION = 'bascule_cancel';
export const RETRY_ACTION = 'bascule_retry';

const unitEmoji: Record<UnitStatus, string> = {
  pending: ':white_circle:',
  waiting: ':hourglass:',
  running: ':arrows_counterclockwise:',
  paused: ':double_vertical_bar:',
  succeeded: ':large_green_circle:',
  failed: ':red_circle:',
  cancelled: ':black_circle:',
};

export const runEmoji: Record<RunStatus, string> = {
  'awaiting-approval': ':lock:',
  queued: ':hourglass:',
  running: ':arrows_counterclockwise:',
  paused: ':double_vertical_bar:',
  cancelling: ':no_entry_sign:',
  cancelled: ':black_circle:',
  failed: ':red_circle:',
  succeeded: ':large_green_circle:',
};

export interface UnitProgress {
  id: string;
  status: UnitStatus;
  step: string | null;
  stepIndex: number;
  steps: number;
  percent: number;
  etaMs: number | null;
}

function stepDoneMs(s: UnitRecord['steps'][number], now: number): number {
  if (s.state === 'done' || s.state === 'skipped') return s.estimateMs;
  if (s.state !== 'running') return 0;
  const byPercent =
    s.progress?.percent != null
      ? (s.estimateMs * s.progress.percent) / 100
      : s.startedAt
        ? now - Date.parse(s.startedAt)
        : 0;
  return Math.min(s.estimateMs, Math.max(0, byPercent));
}

export function unitProgress(u: UnitRecord, now: number): UnitProgress {
  const total = u.steps.reduce((a, s) => a + s.estimateMs, 0);
  const done = u.steps.reduce((a, s) => a + stepDoneMs(s, now), 0);
  let idx = u.steps.findIndex((s) => s.state === 'running' || s.state === 'failed');
  if (idx < 0) idx = u.steps.findIndex((s) => s.state === 'pending');
  const current = idx >= 0 ? u.steps[idx] : undefined;
  const finished = u.status === 'succeeded';
  const active = u.status === 'running' || u.status === 'waiting' || u.status === 'pending';
  return {
    id: u.id,
    status: u.status,
    step: finished ? null : (current?.kind ?? null),
    stepIndex: idx,
    steps: u.steps.length,
    percent: finished ? 100 : total === 0 ? 0 : Math.round((done / total) * 100),
    etaMs: active ? Math.max(0, total - done) : null,
  };
}

export function unitLine(p: UnitProgress): string {
  const step = p.step ? ` · step ${p.stepIndex + 1}/${p.steps} ${p.step}` : '';
  const eta = p.etaMs !== null ? ` · ETA ${formatMs(p.etaMs)}` : '';
  return `${unitEmoji[p.status]} \`${p.id}\` ${p.status}${step} · ${p.percent}%${eta}`;
}

export function countByStatus(units: UnitProgress[]): string {
  const counts = new Map<UnitStatus, number>();
  for (const u of units) counts.set(u.status, (counts.get(u.status) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
}

export function runButtons(run: RunRecord): Block | null {
  const elements: Record<string, unknown>[] = [];
  const button = (action: string, text: string, extra: Record<string, unknown> = {}) => ({
    type: 'button',
    action_id: action,
    text: { type: 'plain_text', text },
    value: run.id,
    ...extra,
  });
  if (run.status === 'queued' || run.status === 'running') elements.push(button(PAUSE_ACTION, 'Pause'));
  if (run.status === 'paused') elements.push(button(RESUME_ACTION, 'Resume'));
  const failed = run.unitOrder.some((id) => run.units[id]?.status === 'failed');
  if (failed && (run.status === 'failed' || run.status === 'running')) {
    elements.push(button(RETRY_ACTION, 'Retry failed unit(s)'));
  }
  if (['queued', 'running', 'paused'].includes(run.status)) {
    elements.push(
      button(CANCEL_ACTION, 'Cancel', {
        style: 'danger',
        confirm: {
          title: { type: 'plain_text', text: 'Cancel this run?' },
          text: {
            type: 'mrkdwn',
            text: `Run \`${run.id}\` stops after the steps in progress; units not moved stay where they are.`,
          },
          confirm: { type: 'plain_text', text: 'Cancel the run' },
          deny: { type: 'plain_text', text: 'Keep running' },
          style: 'danger',
        },
      }),
    );
  }
  return elements.length > 0 ? { type: 'actions', block_id: `run:${run.id}`, elements } : null;
}

export function progressCardBlocks(run: RunRecord, o: { etaMs: number | null; now: number }): Block[] {
  const units = run.unitOrder.flatMap((id) => {
    const u = run.units[id];
    return u ? [unitProgress(u, o.now)] : [];
  });
  const total =
    units.length === 0 ? 100 : Math.round(units.reduce((a, u) => a + u.percent, 0) / units.length);
  const blocks: Block[] = [
    header(`${run.kind} ${run.from} → ${run.to} — ${run.status}`),
    section(
      `${runEmoji[run.status]} Run \`${run.id}\` requested by <@${run.requestedBy}>` +
        `${run.approvals.length > 0 ? `, approved by ${run.approvals.map((a) => `<@${a.user}>`).join(', ')}` : ''}\n` +
        `*${total}%* · ${countByStatus(units)}${o.etaMs !== null ? ` · ETA ${formatMs(o.etaMs)}` : ''}`,
    ),
  ];
  if (run.error)
    blocks.push(section(`:warning: *[${run.error.code}]* ${run.error.message} ${run.error.hint ?? ''}`));
  // Active and failed units first: with hundreds of units, those are the lines that matter.
  const rank = (s: UnitStatus) => (s === 'running' ? 0 : s === 'failed' ? 1 : s === 'paused' ? 2 : 3);
  const ordered = [...units].sort((a, b) => rank(a.status) - rank(b.status));
  blocks.push(
    ...packLines(ordered.map(unitLine), 40, (n) => {
      const rest = ordered.slice(ordered.length - n);
      return `… and ${n} more unit(s): ${countByStatus(rest)}.`;
    }),
  );
  const buttons = runButtons(run);
  if (buttons) blocks.push(buttons);
  blocks.push(
    context(`Plan hash \`${run.planHash.slice(0, 12)}\` · updated ${new Date(o.now).toISOString()}`),
  );
  return capBlocks(blocks);
}

export function progressFallback(run: RunRecord): string {
  return `Run ${run.id}: ${run.kind} ${run.from} → ${run.to} — ${run.status}`;
}
