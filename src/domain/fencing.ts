import type { Inventory } from './inventory.js';
import type { StepKind } from './plan/types.js';
import { listNames } from './preflight/finding.js';
import type { Finding } from './preflight/types.js';

// The fencing guard of an unplanned failover. A failover makes the replicas at the destination
// writable and powers the VMs on there; if the source room is in fact still up, the same VMs then
// run twice on two copies of their disks that drift apart (split brain). Before that, Bascule asks
// everything at the source that could still be alive: vCenter's view of the source hosts and VMs,
// and each array or replication manager at the source. Only silence everywhere counts as fenced.
// Pure: probe results in, a verdict and a preflight finding out; the probing is done in
// src/jobs/preflight/fencing-probes.ts.

export type ProbeOutcome = 'answers' | 'silent' | 'unknown';

export interface FencingProbe {
  /** What was asked: `host esx-site5-01`, `vm ldap-01`, `storwize v7000-site5`, `zerto zvm-site5`. */
  target: string;
  outcome: ProbeOutcome;
  /** What the probe saw, for the operator: "connected", "ECONNREFUSED", "timed out after 5 s". */
  detail: string;
}

export type FencingVerdict =
  /** Nothing at the source answers: the failover may go on. */
  | { verdict: 'fenced'; probes: FencingProbe[] }
  /** Something at the source answers: refused unless overridden by two approvers. */
  | { verdict: 'source-answers'; answered: string[]; probes: FencingProbe[] }
  /** Nothing answered, but some probes could not be made (no credentials, no inventory). */
  | { verdict: 'unknown'; unknown: string[]; probes: FencingProbe[] };

/** Approvers an override of the fencing guard needs, whatever approvals.required says. */
export const FENCING_OVERRIDE_APPROVERS = 2;

/**
 * Steps that must not run while the source may be alive: they make a replica writable or start
 * VMs at the destination. The engine probes the source again just before the first of them.
 */
export const FENCED_STEP_KINDS: readonly StepKind[] = [
  'make-replica-writable',
  'zerto-failover',
  'register-vms',
  'power-on-vms',
];

export function fencingVerdict(probes: readonly FencingProbe[]): FencingVerdict {
  const list = [...probes];
  const answered = list.filter((p) => p.outcome === 'answers').map((p) => p.target);
  if (answered.length > 0) return { verdict: 'source-answers', answered, probes: list };
  const unknown = list.filter((p) => p.outcome === 'unknown').map((p) => p.target);
  if (unknown.length > 0) return { verdict: 'unknown', unknown, probes: list };
  return { verdict: 'fenced', probes: list };
}

/**
 * vCenter's view of the source: one vCenter serves both rooms, so it still answers when one room
 * is dark, but the hosts of a dark room are notResponding or disconnected and their VMs are no
 * longer connected. A connected source host, or a source VM running on a connected host, answers.
 */
export function vcenterProbes(
  inventory: Inventory,
  sourceHostIds: ReadonlySet<string>,
  vmIds: ReadonlySet<string>,
): FencingProbe[] {
  const probes: FencingProbe[] = [];
  const hostName = new Map(inventory.hosts.map((h) => [h.id, h.name]));
  const connectedHosts = new Set<string>();
  for (const h of inventory.hosts) {
    if (!sourceHostIds.has(h.id)) continue;
    const answers = h.connectionState === 'connected';
    if (answers) connectedHosts.add(h.id);
    probes.push({
      target: `host ${h.name}`,
      outcome: answers ? 'answers' : 'silent',
      detail: h.connectionState,
    });
  }
  for (const vm of inventory.vms) {
    if (!vmIds.has(vm.id)) continue;
    const onSource = vm.host !== null && sourceHostIds.has(vm.host);
    // A VM at the destination already (an earlier partial failover) says nothing about the source.
    if (!onSource) continue;
    const answers =
      vm.powerState === 'poweredOn' &&
      vm.connectionState === 'connected' &&
      connectedHosts.has(vm.host ?? '');
    probes.push({
      target: `vm ${vm.name}`,
      outcome: answers ? 'answers' : 'silent',
      detail: `${vm.powerState}, ${vm.connectionState} on ${hostName.get(vm.host ?? '') ?? vm.host}`,
    });
  }
  return probes;
}

/** What the operator reads about a verdict, in one line. */
export function describeVerdict(v: FencingVerdict): string {
  switch (v.verdict) {
    case 'fenced':
      return `the source site is fenced: nothing of it answers (${v.probes.length} probe(s))`;
    case 'source-answers':
      return `the source site still answers: ${listNames(v.answered)}`;
    case 'unknown':
      return `the source site could not be fully checked: ${listNames(v.unknown)}`;
  }
}

/**
 * The preflight finding of a failover's fencing check. Source answers: blocking, unless the
 * request overrides the guard, which then needs two approvers; unknown: a warning; fenced: a note.
 */
export function fencingFinding(v: FencingVerdict, from: string, override: boolean): Finding {
  if (v.verdict === 'source-answers') {
    const answered = listNames(v.answered);
    if (override) {
      return {
        code: 'FENCING_SOURCE_ANSWERS',
        severity: 'warn',
        message:
          `Fencing guard overridden: ${from} still answers (${answered}). The failover will make the replicas ` +
          `writable and start the VMs while the source may still run them.`,
        objects: {},
        fix:
          `${FENCING_OVERRIDE_APPROVERS} approvers other than the requester must approve this run; ` +
          'approve only if you are sure the source VMs are off or will never write again.',
      };
    }
    return {
      code: 'FENCING_SOURCE_ANSWERS',
      severity: 'block',
      message:
        `Fencing guard: ${from} still answers (${answered}); a failover now could run the same VMs on ` +
        'both sites on diverging copies of their disks.',
      objects: {},
      fix:
        `If ${from} is up, use /migrate instead (planned, no data loss). If it is failing, power its hosts ` +
        'and arrays off (or isolate them), then run the failover again. Only if you are sure nothing at ' +
        `the source writes any more: add --override-fencing, which needs ${FENCING_OVERRIDE_APPROVERS} approvers.`,
    };
  }
  if (v.verdict === 'unknown') {
    return {
      code: 'FENCING_UNKNOWN',
      severity: 'warn',
      message: `Fencing could not be confirmed for ${from}: ${listNames(v.unknown)} could not be asked.`,
      objects: {},
      fix: `Check by hand that ${listNames(v.unknown)} is down before approving.`,
    };
  }
  return {
    code: 'FENCING_CONFIRMED',
    severity: 'info',
    message: `Fencing confirmed: nothing at ${from} answers (${v.probes.length} probe(s)).`,
    objects: {},
    fix: null,
  };
}
