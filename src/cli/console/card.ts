import { formatDuration, type RunState } from '../../jobs/run/index.js';

// The live progress card of a followed run: a header, an overall bar with the ETA, and one line per
// unit (its status, a bar of its steps, the step in progress). Pure: the follower redraws it.

export function bar(percent: number, width: number): string {
  const p = Math.max(0, Math.min(100, percent));
  const full = Math.round((p / 100) * width);
  return `[${'█'.repeat(full)}${'░'.repeat(width - full)}]`;
}

const unitIcon: Record<string, string> = {
  pending: '·',
  waiting: '…',
  running: '▶',
  succeeded: '✓',
  failed: '✗',
  skipped: '↷',
  paused: '‖',
  cancelled: '■',
};

export function renderCard(s: RunState, columns = 120): string[] {
  const eta = s.etaMs !== null ? `ETA ${formatDuration(s.etaMs)}` : '';
  const lines = [
    `Run ${s.id}  ${s.kind} ${s.from} → ${s.to}  ${s.status}  (requested by ${s.requestedBy})`,
    `${bar(s.percent, 30)} ${String(s.percent).padStart(3)}%  ${eta}`.trimEnd(),
  ];
  const width = Math.max(0, ...s.units.map((u) => u.id.length));
  for (const u of s.units) {
    const done = u.steps.filter((st) => st.state === 'done' || st.state === 'skipped').length;
    const current = u.steps.find((st) => st.state === 'running' || st.state === 'failed');
    const pct = u.steps.length === 0 ? 100 : Math.round((done / u.steps.length) * 100);
    const step = current
      ? `${current.state === 'failed' ? '✗' : '▶'} ${current.kind}${current.state === 'running' && current.percent !== null ? ` ${current.percent}%` : ''}${current.message ? ` — ${current.message}` : ''}`
      : '';
    lines.push(
      `  ${unitIcon[u.status] ?? '?'} ${u.id.padEnd(width)}  ${u.status.padEnd(9)} ${bar(pct, 12)} ${done}/${u.steps.length}  ${step}`.trimEnd(),
    );
  }
  if (s.error) lines.push(`  [${s.error.code}] ${s.error.message}`);
  // A line wider than the terminal wraps, and the cursor arithmetic of the redraw would be off.
  return lines.map((l) => ([...l].length >= columns ? `${[...l].slice(0, columns - 2).join('')}…` : l));
}
