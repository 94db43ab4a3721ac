import type { ReplicationStatus } from '../replication.js';
import type { CheckContext } from './context.js';
import { finding } from './finding.js';
import type { ScopedUnit } from './scope.js';
import type { Finding } from './types.js';

// Rule 3a: each moving unit replicates in the expected direction and is in sync. A planned move
// never forces: switching a unit that is not in sync loses writes. A failback starts with a resync,
// so a stopped or idling unit is expected then; a failover takes whatever the replica holds.

const defaultZertoMaxLagSeconds = 300;

export function checkReplication(ctx: CheckContext): Finding[] {
  return ctx.scope.moving.flatMap((s) => {
    const status = s.status;
    if (!status) {
      return [
        finding(
          'REPLICATION_STATUS_UNKNOWN',
          'block',
          `No replication status for ${s.unit.id} from ${s.unit.array}: direction and health are unknown.`,
          { units: [s.unit.id] },
          `Check that Bascule reaches ${s.unit.array} (\`bascule status\`) and that ${s.unit.ref.name} exists there.`,
        ),
      ];
    }
    const kind = ctx.input.request.kind;
    if (kind === 'failback') return failback(ctx, s, status);
    if (kind === 'failover') return failover(s, status);
    return planned(ctx, s, status);
  });
}

function direction(ctx: CheckContext, s: ScopedUnit, status: ReplicationStatus): Finding | null {
  const from = ctx.input.request.from;
  if (status.primarySite === from) return null;
  const now =
    status.primarySite === null ? 'has no primary (both sides idle)' : `is primary at ${status.primarySite}`;
  return finding(
    'REPLICATION_DIRECTION',
    'block',
    `${s.unit.id} ${now}; the move expects it primary at ${from} (array state: ${status.raw}).`,
    { units: [s.unit.id] },
    `Restore replication from ${from} on ${s.unit.array} and wait for it to be in sync, or leave ${s.unit.id} out (--datastores).`,
  );
}

function planned(ctx: CheckContext, s: ScopedUnit, status: ReplicationStatus): Finding[] {
  const wrongWay = direction(ctx, s, status);
  if (wrongWay) return [wrongWay];
  if (status.health === 'in-sync') return [];
  const id = s.unit.id;
  if (s.unit.method === 'zerto' && status.health === 'copying') {
    const max = ctx.input.options?.zertoMaxLagSeconds ?? defaultZertoMaxLagSeconds;
    if (status.lagSeconds !== null && status.lagSeconds <= max) return [];
    const lag = status.lagSeconds === null ? 'unknown' : `${status.lagSeconds} s`;
    return [
      finding(
        'REPLICATION_LAG',
        'block',
        `${id} lags behind: RPO ${lag}, accepted up to ${max} s (${status.raw}).`,
        { units: [id] },
        `Wait for the VPG to meet its SLA in Zerto, then run preflight again.`,
      ),
    ];
  }
  const progress = status.progressPercent === null ? '' : ` (${status.progressPercent}% copied)`;
  return [
    finding(
      'REPLICATION_NOT_IN_SYNC',
      'block',
      `${id} is ${status.health}${progress}, not in sync (array state: ${status.raw}); switching now would lose writes.`,
      { units: [id] },
      status.health === 'copying'
        ? 'Wait for the copy to finish, then run preflight again.'
        : `Restart replication of ${s.unit.ref.name} on ${s.unit.array} and wait for it to be in sync.`,
    ),
  ];
}

function failback(ctx: CheckContext, s: ScopedUnit, status: ReplicationStatus): Finding[] {
  const id = s.unit.id;
  if (status.health === 'error' || status.health === 'disconnected') {
    return [
      finding(
        'REPLICATION_NOT_IN_SYNC',
        'block',
        `${id} is ${status.health} (array state: ${status.raw}): it cannot be resynchronised before moving back.`,
        { units: [id] },
        `Repair the link or the relationship ${s.unit.ref.name} on ${s.unit.array} first.`,
      ),
    ];
  }
  // Idling is the normal state after a maintenance: replication was stopped while one site was off.
  if (status.primarySite !== null) {
    const wrongWay = direction(ctx, s, status);
    if (wrongWay) return [wrongWay];
  }
  if (status.health === 'in-sync') return [];
  return [
    finding(
      'REPLICATION_RESYNC_FIRST',
      'info',
      `${id} is ${status.health}; the plan resynchronises it from ${ctx.input.request.from} before moving it back.`,
      { units: [id] },
      null,
    ),
  ];
}

function failover(s: ScopedUnit, status: ReplicationStatus): Finding[] {
  if (status.health === 'in-sync') return [];
  const lag = status.lagSeconds === null ? '' : `, about ${status.lagSeconds} s behind`;
  return [
    finding(
      'REPLICATION_DEGRADED',
      'warn',
      `${s.unit.id} is ${status.health}${lag} (array state: ${status.raw}): the replica may miss the last writes.`,
      { units: [s.unit.id] },
      'Accept the data loss, or restore the source site and use a planned migrate instead.',
    ),
  ];
}
