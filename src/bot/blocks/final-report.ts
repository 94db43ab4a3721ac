import type { RunReport } from '../../jobs/run/report.js';
import { type Block, capBlocks, context, formatMs, packLines, section } from './limits.js';
import { runEmoji } from './progress-card.js';

// The final message of a run, broadcast to the channel: the outcome, what moved, what failed (with
// the failing step's error and what to do) and what did not move.

export function finalReportBlocks(r: RunReport): Block[] {
  const names = (list: string[]) => (list.length === 0 ? 'none' : list.map((x) => `\`${x}\``).join(', '));
  const blocks: Block[] = [
    section(
      `${runEmoji[r.status]} *Run \`${r.runId}\` ${r.status}*: ${r.kind} ${r.from} → ${r.to} in ${formatMs(r.durationMs)}\n` +
        `Requested by <@${r.requestedBy}>; approved by ${r.approvals.map((a) => `<@${a.user}>`).join(', ') || 'nobody'}.`,
    ),
    section(`*Moved* (${r.moved.length}): ${names(r.moved)}`),
  ];
  if (r.failed.length > 0) blocks.push(section(`*Failed* (${r.failed.length}): ${names(r.failed)}`));
  if (r.notMoved.length > 0) blocks.push(section(`*Not moved* (${r.notMoved.length}): ${names(r.notMoved)}`));
  if (r.error) blocks.push(section(`:warning: *[${r.error.code}]* ${r.error.message} ${r.error.hint ?? ''}`));
  const failures = r.units.flatMap((u) =>
    u.steps
      .filter((s) => s.error)
      .map(
        (s) =>
          `:red_circle: \`${u.id}\` ${s.kind}: *[${s.error?.code}]* ${s.error?.message}${s.error?.hint ? ` — ${s.error.hint}` : ''}`,
      ),
  );
  if (failures.length > 0) blocks.push(...packLines(failures, 10, (n) => `… and ${n} more failed step(s).`));
  const perUnit = r.units.map(
    (u) => `• \`${u.id}\` ${u.status}, ${u.vmCount} VM(s), ${formatMs(u.durationMs)}`,
  );
  blocks.push(...packLines(perUnit, 20, (n) => `… and ${n} more unit(s).`));
  const next =
    r.status === 'succeeded'
      ? 'Bring the VMs back after the maintenance with `/failback`.'
      : r.failed.length > 0
        ? `Fix the cause above, then \`/bascule retry ${r.runId}\`.`
        : `See \`/bascule history ${r.runId}\` for every step.`;
  blocks.push(context(`Plan hash \`${r.planHash.slice(0, 12)}\` · ${next}`));
  return capBlocks(blocks);
}
