import type { CheckContext } from './context.js';
import { finding, listNames } from './finding.js';
import type { Finding } from './types.js';

// Rule 6: one run at a time per site and unit. Two runs switching the same relationship, or one
// evacuating a site while another moves VMs onto it, undo each other.

export function checkConcurrency(ctx: CheckContext): Finding[] {
  const { from, to } = ctx.input.request;
  const units = new Set(ctx.scope.selected.map((s) => s.unit.id));
  const findings: Finding[] = [];
  for (const run of ctx.input.activeRuns) {
    const sites = run.sites.filter((s) => s === from || s === to);
    const shared = run.units.filter((u) => units.has(u));
    if (sites.length === 0 && shared.length === 0) continue;
    const touching = [
      ...sites.map((s) => `site ${s}`),
      ...(shared.length > 0 ? [`unit(s) ${listNames(shared)}`] : []),
    ];
    findings.push(
      finding(
        'CONCURRENT_RUN',
        'block',
        `Run ${run.runId}, started by ${run.requestedBy}, is still active on ${touching.join(' and ')}.`,
        { runs: [run.runId], units: shared },
        `Wait for run ${run.runId} to finish (\`bascule status ${run.runId}\`), or ask ${run.requestedBy} about it.`,
      ),
    );
  }
  return findings;
}
