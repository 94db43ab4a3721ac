import type { Finding, PreflightResult, Severity } from '../../domain/preflight/types.js';
import {
  type Block,
  capBlocks,
  context,
  formatMs,
  header,
  MAX_BLOCKS,
  packLines,
  section,
} from './limits.js';

// The preflight report in a thread: the verdict, blocking findings first (each with its fix),
// warnings and notes folded by code, capacity before → after per destination cluster, the plan per
// unit with its estimate, and the plan hash an approval refers to. Never more than 50 blocks.

const icon: Record<Severity, string> = {
  block: ':no_entry:',
  warn: ':warning:',
  info: ':information_source:',
};
const MAX_BLOCKING_SECTIONS = 10;

function findingLine(f: Finding): string {
  return `${icon[f.severity]} *[${f.code}]* ${f.message}${f.fix ? `\n      _fix:_ ${f.fix}` : ''}`;
}

function foldedLines(findings: Finding[], severity: Severity): string[] {
  const byCode = new Map<string, Finding[]>();
  for (const f of findings.filter((x) => x.severity === severity)) {
    byCode.set(f.code, [...(byCode.get(f.code) ?? []), f]);
  }
  const out: string[] = [];
  for (const [code, list] of byCode) {
    const first = list[0];
    if (!first) continue;
    if (list.length === 1) out.push(findingLine(first));
    else out.push(`${icon[severity]} *[${code}]* ${list.length} times, e.g. ${first.message}`);
  }
  return out;
}

const gb = (mb: number) => `${Math.round(mb / 1024)}`;

export function preflightVerdict(result: PreflightResult): string {
  const counts = { block: 0, warn: 0, info: 0 };
  for (const f of result.findings) counts[f.severity]++;
  const p = result.plan;
  return (
    `Preflight ${p.kind} ${p.from} → ${p.to}: ${result.blocked ? 'BLOCKED' : 'OK'} ` +
    `(${counts.block} blocking, ${counts.warn} warning(s), ${counts.info} note(s))`
  );
}

export function preflightReportBlocks(result: PreflightResult): Block[] {
  const blocks: Block[] = [header(preflightVerdict(result))];
  const blocking = result.findings.filter((f) => f.severity === 'block');
  if (blocking.length > 0) {
    blocks.push(section('*Blocking* — fix these, then run the command again:'));
    blocks.push(
      ...packLines(
        blocking.map(findingLine),
        MAX_BLOCKING_SECTIONS,
        (n) => `… and ${n} more blocking finding(s).`,
      ),
    );
  }
  const others = [...foldedLines(result.findings, 'warn'), ...foldedLines(result.findings, 'info')];
  if (others.length > 0) blocks.push(...packLines(others, 4, (n) => `… and ${n} more warning(s)/note(s).`));

  const cap = result.capacity;
  const capLines = cap.clusters.map((c) => {
    const over = c.over.length > 0 ? ` :warning: over on ${c.over.join(', ')}` : '';
    return (
      `\`${c.cluster}\` ${c.usableHosts}/${c.hosts} hosts · vCPU ${c.before.vcpu} → ${c.after.vcpu} / ${c.limits.vcpu}` +
      ` · memory ${gb(c.before.memoryMb)} → ${gb(c.after.memoryMb)} / ${gb(c.limits.memoryMb)} GB` +
      ` · VMs ${c.before.vms} → ${c.after.vms}${over}`
    );
  });
  for (const d of cap.datastores) {
    capLines.push(
      `\`${d.datastore}\` free ${Math.round(d.freeBytes / 2 ** 30)} GB, needs ${Math.round(d.neededBytes / 2 ** 30)} GB${d.ok ? '' : ' :warning: not enough'}`,
    );
  }
  blocks.push(section(`*Capacity at ${cap.site}* (before → after / limit)`));
  if (capLines.length === 0) capLines.push('_no cluster of the destination is in the inventory_');
  blocks.push(...packLines(capLines, 3, (n) => `… and ${n} more line(s).`));

  const plan = result.plan;
  const unitLines = plan.groups.map(
    (g) =>
      `• \`${g.id}\`${g.units.length > 1 ? ` (+${g.units.length - 1} joined)` : ''} ${g.method}, ${g.vmCount} VM(s), ` +
      `${g.steps.length} steps, est. ${formatMs(g.estimateMs)}`,
  );
  blocks.push(
    section(
      `*Plan*: ${plan.groups.length} unit(s), ${plan.groups.reduce((a, g) => a + g.vmCount, 0)} VM(s) — ${plan.parallelism.description}`,
    ),
  );
  const room = MAX_BLOCKS - blocks.length - 1;
  blocks.push(...packLines(unitLines, Math.max(1, room), (n) => `… and ${n} more unit(s).`));
  blocks.push(
    context(`Plan hash \`${plan.hash.slice(0, 12)}\` — the run re-checks it before its first step.`),
  );
  return capBlocks(blocks);
}
