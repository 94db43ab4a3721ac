import type { Redis } from 'ioredis';
import type { SideEffect } from './cas.js';
import type { RunKeys } from './keys.js';

// The audit trail: every command, approval and step start/end/fault, appended to one Redis stream
// for all runs and to one per run, each entry naming the user and the plan hash it acted on.

export type AuditType =
  | 'run-created'
  | 'approval-recorded'
  | 'run-approved'
  | 'run-refused'
  | 'run-started'
  | 'run-ended'
  | 'step-start'
  | 'step-done'
  | 'step-failed'
  | 'step-skipped'
  | 'command-pause'
  | 'command-resume'
  | 'command-cancel'
  | 'command-retry'
  | 'command-skip';

export interface AuditInput {
  type: AuditType;
  runId: string;
  user: string | null;
  planHash: string | null;
  details?: Record<string, unknown>;
}

export interface AuditEntry extends AuditInput {
  /** Stream id. */
  id: string;
  at: string;
  details: Record<string, unknown>;
}

const MAXLEN = 100_000;

export function auditEffects(keys: RunKeys, entry: AuditInput, at: string): SideEffect[] {
  const fields = [
    'at',
    at,
    'type',
    entry.type,
    'runId',
    entry.runId,
    'user',
    entry.user ?? '',
    'planHash',
    entry.planHash ?? '',
    'details',
    JSON.stringify(entry.details ?? {}),
  ];
  return [
    { op: 'xadd', key: keys.audit(), maxlen: MAXLEN, fields },
    { op: 'xadd', key: keys.runAudit(entry.runId), fields },
  ];
}

/** Audit entries, oldest first: of one run, or the latest `limit` of all runs. */
export async function history(
  redis: Redis,
  keys: RunKeys,
  runId?: string,
  limit = 200,
): Promise<AuditEntry[]> {
  const raw = runId
    ? await redis.xrange(keys.runAudit(runId), '-', '+')
    : (await redis.xrevrange(keys.audit(), '+', '-', 'COUNT', limit)).reverse();
  return raw.map(([id, fields]) => decode(id, fields));
}

function decode(id: string, fields: string[]): AuditEntry {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i] as string, fields[i + 1] as string);
  return {
    id,
    at: map.get('at') ?? '',
    type: (map.get('type') ?? '') as AuditType,
    runId: map.get('runId') ?? '',
    user: map.get('user') || null,
    planHash: map.get('planHash') || null,
    details: JSON.parse(map.get('details') ?? '{}') as Record<string, unknown>,
  };
}
