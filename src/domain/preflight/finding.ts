import type { Finding, FindingCode, FindingObjects, Severity } from './types.js';

export function finding(
  code: FindingCode,
  severity: Severity,
  message: string,
  objects: FindingObjects,
  fix: string | null,
): Finding {
  return { code, severity, message, objects, fix };
}

const rank: Record<Severity, number> = { block: 0, warn: 1, info: 2 };

function firstObject(f: Finding): string {
  const o = f.objects;
  return (
    o.units?.[0] ?? o.vms?.[0] ?? o.datastores?.[0] ?? o.clusters?.[0] ?? o.hosts?.[0] ?? o.runs?.[0] ?? ''
  );
}

/** Blocking first, then by code and object, so two runs on the same world read the same. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      rank[a.severity] - rank[b.severity] ||
      (a.code < b.code ? -1 : a.code > b.code ? 1 : 0) ||
      (firstObject(a) < firstObject(b) ? -1 : firstObject(a) > firstObject(b) ? 1 : 0) ||
      (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
}

/** `a, b, c and 4 more`: object lists in messages stay one line on a terminal. */
export function listNames(names: readonly string[], max = 5): string {
  if (names.length <= max) return names.join(', ');
  return `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

export function gb(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
}
