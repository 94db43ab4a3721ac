import type { PlanStep, UnitPlan } from '../plan/types.js';
import { listNames } from './finding.js';
import type {
  CapacityReport,
  ClusterCapacity,
  Finding,
  FindingCode,
  PreflightResult,
  Severity,
} from './types.js';

// The preflight report for a terminal, at most 100 columns: what blocks first (with its fix), then
// the warnings and notes (many of one kind folded into one line), the capacity before and after per
// cluster, the plan per unit with estimates, and the plan hash an approval refers to.

const width = 100;
const blocksShownPerCode = 10;
const foldAbove = 3;

export function renderPreflightReport(result: PreflightResult): string {
  const { plan } = result;
  const counts = countBySeverity(result.findings);
  const verdict = result.blocked ? 'BLOCKED' : 'OK';
  const lines = [
    `Preflight ${plan.kind} ${plan.from} -> ${plan.to}: ${verdict} ` +
      `(${counts.block} blocking, ${counts.warn} warning(s), ${counts.info} note(s))`,
  ];
  for (const [severity, title] of [
    ['block', 'BLOCKING'],
    ['warn', 'WARNINGS'],
    ['info', 'NOTES'],
  ] as const) {
    const section = result.findings.filter((f) => f.severity === severity);
    if (section.length > 0) lines.push('', title, ...renderFindings(section, severity));
  }
  lines.push('', ...renderCapacity(result.capacity), '', ...renderPlan(result));
  return `${lines.join('\n')}\n`;
}

function countBySeverity(findings: Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { block: 0, warn: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

function renderFindings(findings: Finding[], severity: Severity): string[] {
  const byCode = new Map<FindingCode, Finding[]>();
  for (const f of findings) {
    const list = byCode.get(f.code);
    if (list) list.push(f);
    else byCode.set(f.code, [f]);
  }
  const out: string[] = [];
  for (const [code, list] of byCode) {
    if (severity !== 'block' && list.length > foldAbove) {
      out.push(...folded(code, list));
      continue;
    }
    const shown = severity === 'block' ? list.slice(0, blocksShownPerCode) : list;
    for (const f of shown) {
      out.push(...wrap(`[${f.code}] ${f.message}`, '  ', '    '));
      if (f.fix) out.push(...wrap(`fix: ${f.fix}`, '    ', '      '));
    }
    if (shown.length < list.length) out.push(`  ... and ${list.length - shown.length} more ${code}`);
  }
  return out;
}

function folded(code: FindingCode, list: Finding[]): string[] {
  const objects = list.map((f) => f.objects.vms?.[0] ?? f.objects.units?.[0] ?? f.objects.hosts?.[0] ?? '?');
  const first = list[0];
  const out = wrap(`[${code}] ${list.length} times: ${listNames(objects, 8)}`, '  ', '    ');
  if (first) out.push(...wrap(`e.g. ${first.message}`, '    ', '      '));
  if (first?.fix) out.push(...wrap(`fix: ${first.fix}`, '    ', '      '));
  return out;
}

/** Word-wraps to the report width; words longer than a line are left whole. */
export function wrap(text: string, firstIndent: string, nextIndent: string): string[] {
  const lines: string[] = [];
  let line = firstIndent;
  let empty = true;
  for (const word of text.split(/\s+/).filter((w) => w.length > 0)) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = nextIndent;
      empty = true;
    }
    line += empty ? word : ` ${word}`;
    empty = false;
  }
  lines.push(line);
  return lines;
}

function renderCapacity(capacity: CapacityReport): string[] {
  const out = [`CAPACITY AT ${capacity.site} (before -> after / limit)`];
  if (capacity.clusters.length === 0) out.push('  (no cluster of the destination is in the inventory)');
  else {
    out.push(
      `  ${'cluster'.padEnd(18)} ${'hosts'.padEnd(6)} ${'HA'.padEnd(3)} ${'vCPU'.padEnd(22)} ${'memory GB'.padEnd(30)} state`,
    );
    for (const c of capacity.clusters) out.push(...clusterRows(c));
  }
  if (capacity.datastores.length > 0) {
    out.push(
      '',
      `  ${'Zerto recovery datastore'.padEnd(28)} ${'free GB'.padStart(10)} ${'needed GB'.padStart(10)} ${'kept GB'.padStart(10)}  units`,
    );
    for (const d of capacity.datastores) {
      const row =
        `  ${d.datastore.padEnd(28)} ${gib(d.freeBytes).padStart(10)} ${gib(d.neededBytes).padStart(10)} ` +
        `${gib(d.reserveBytes).padStart(10)}  ${d.ok ? '' : 'OVER '}${listNames(d.units, 3)}`;
      out.push(row);
    }
  }
  return out;
}

function clusterRows(c: ClusterCapacity): string[] {
  const vcpu = `${c.before.vcpu} -> ${c.after.vcpu} / ${c.limits.vcpu}`;
  const mem = `${gbOfMb(c.before.memoryMb)} -> ${gbOfMb(c.after.memoryMb)} / ${gbOfMb(c.limits.memoryMb)}`;
  const state = c.over.length === 0 ? 'ok' : `OVER ${c.over.join(', ')}`;
  const rows = [
    `  ${c.cluster.padEnd(18)} ${`${c.usableHosts}/${c.hosts}`.padEnd(6)} ${String(c.reservedHosts.length).padEnd(3)} ${vcpu.padEnd(22)} ${mem.padEnd(30)} ${state}`,
  ];
  const mhz =
    c.before.cpuMhz === null || c.after.cpuMhz === null
      ? `CPU ${ghz(c.limits.cpuMhz)} GHz usable; usage not supplied, not checked`
      : `CPU GHz ${ghz(c.before.cpuMhz)} -> ${ghz(c.after.cpuMhz)} / ${ghz(c.limits.cpuMhz)}`;
  rows.push(`  ${''.padEnd(18)} ${mhz}; VMs ${c.before.vms} -> ${c.after.vms}`);
  return rows;
}

function gbOfMb(mb: number): string {
  return (mb / 1024).toFixed(0);
}

function gib(bytes: number): string {
  return (bytes / 1024 ** 3).toFixed(1);
}

function ghz(mhz: number): string {
  return (mhz / 1000).toFixed(1);
}

function renderPlan(result: PreflightResult): string[] {
  const { plan } = result;
  const out = wrap(
    `PLAN: ${plan.groups.length} group(s), about ${formatDuration(plan.estimatedTotalMs)}; ${plan.parallelism.description}`,
    '',
    '  ',
  );
  plan.groups.forEach((g, i) => {
    out.push(...groupLines(g, i + 1));
  });
  for (const s of plan.skipped) out.push(`  skipped ${s.unit}: ${s.reason}`);
  out.push('', `Plan hash ${plan.hash}`);
  return out;
}

function groupLines(g: UnitPlan, n: number): string[] {
  const units = g.units.length > 1 ? ` (stops with ${g.units.slice(1).join(', ')})` : '';
  const head = `${n}. ${g.id}${units}: ${g.method}, ${g.vmCount} VM(s), about ${formatDuration(g.estimateMs)}`;
  const out = wrap(head, '  ', '     ');
  if (g.notConcurrentWith.length > 0)
    out.push(...wrap(`never alongside ${listNames(g.notConcurrentWith)}`, '     ', '     '));
  for (const step of g.steps) {
    const detail = stepDetail(step);
    const time = formatDuration(step.estimateMs);
    const room = width - 5 - 22 - 1 - 1 - 12;
    const text = detail.length > room ? `${detail.slice(0, room - 3)}...` : detail;
    out.push(`     ${step.kind.padEnd(22)} ${text.padEnd(room)} ${time.padStart(12)}`);
  }
  return out;
}

function stepDetail(step: PlanStep): string {
  switch (step.kind) {
    case 'resync-replication':
      return `${step.units.map((u) => u.id).join(', ')} from ${step.fromSite}, one at a time`;
    case 'shutdown-vms':
      return `${step.vms.length} VM(s), ${Math.round(step.timeoutMs / 1000)} s timeout, ${step.forceOff ? 'then power off' : 'no force-off'}`;
    case 'unregister-vms':
      return `${step.vms.length} VM(s)${step.bestEffort ? ', best effort' : ''}`;
    case 'unmount-datastore':
    case 'mount-datastore':
      return `${step.datastores.map((d) => d.name).join(', ')} on ${step.hosts.length} host(s)`;
    case 'switch-replication':
    case 'make-replica-writable':
      return `${step.units.map((u) => u.ref.name).join(', ')} -> ${step.toSite}`;
    case 'rescan-hosts':
      return `${step.hosts.length} host(s)`;
    case 'register-vms':
      return `${step.vms.length} VM(s) on ${new Set(step.vms.map((v) => v.target?.host.name)).size} host(s)`;
    case 'power-on-vms':
      return `${step.groups.reduce((s, g) => s + g.vms.length, 0)} VM(s) in ${step.groups.length} boot group(s)`;
    case 'vmotion-vms':
      return `${step.moves.length} VM(s), at most ${step.perHostLimit} per host`;
    case 'swap-roles':
      return `${step.unit.ref.name} -> ${step.toSite}`;
    case 'zerto-move':
      return `${step.unit.ref.name}, ${step.vms.length} VM(s), reverse protection`;
    case 'zerto-failover':
      return `${step.unit.ref.name}, ${step.vms.length} VM(s)`;
    case 'zerto-commit':
      return step.unit.ref.name;
    case 'zerto-test-start':
      return `${step.unit.ref.name}, ${step.vms.length} VM copy(ies) at ${step.toSite}, production untouched`;
    case 'zerto-test-stop':
      return `${step.unit.ref.name}: check the copies, stop the test, record the result`;
    case 'verify':
      return `${step.vms.length} VM(s) at ${step.toSite}`;
  }
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
}
