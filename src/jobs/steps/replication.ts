import type { ActionOptions, ActionProgress, ResyncOptions } from '../../adapters/replication/types.js';
import type { UnitRef } from '../../domain/plan/types.js';
import type { ReplicationStatus } from '../../domain/replication.js';
import { StepError, throwIfAborted } from './errors.js';
import type { StepContext, StepExecutor } from './types.js';
import { plural, protectedUnit } from './world.js';

// Array-side steps. The adapters already read the unit's state first and do nothing when the goal
// holds (switching toward the site that is already primary), so these executors add only the
// order (units one after the other), progress and the summary.

function actionOptions(ctx: StepContext, prefix: string): ActionOptions {
  return {
    signal: ctx.signal,
    onProgress: (p: ActionProgress) =>
      ctx.progress({ percent: p.percent, message: `${prefix}: ${p.message}` }),
  };
}

async function eachUnit(
  ctx: StepContext,
  units: readonly UnitRef[],
  verb: string,
  act: (unit: UnitRef, options: ActionOptions) => Promise<ReplicationStatus>,
): Promise<ReplicationStatus[]> {
  const out: ReplicationStatus[] = [];
  for (const [i, unit] of units.entries()) {
    throwIfAborted(ctx.signal, `${verb} ${unit.id}`);
    ctx.progress({ percent: Math.round((i / units.length) * 100), message: `${verb} ${unit.id}` });
    const status = await act(unit, actionOptions(ctx, `${verb} ${unit.id}`));
    ctx.log.info({ unit: unit.id, primarySite: status.primarySite, health: status.health }, `${verb} done`);
    out.push(status);
  }
  ctx.progress({ percent: 100, message: `${verb} ${plural(units.length, 'unit')}: done` });
  return out;
}

const statusDetails = (all: ReplicationStatus[]) =>
  all.map((s) => ({ unit: s.unitId, primarySite: s.primarySite, health: s.health, raw: s.raw }));

export const switchReplication: StepExecutor<'switch-replication'> = async (step, ctx) => {
  const all = await eachUnit(ctx, step.units, 'switching', (ref, options) => {
    const unit = protectedUnit(ctx, ref);
    return ctx.replication.forUnit(unit).switchover(unit, step.toSite, options);
  });
  return {
    summary: `${plural(all.length, 'unit')} primary on ${step.toSite}: ${all.map((s) => `${s.unitId} (${s.raw})`).join(', ')}`,
    details: { units: statusDetails(all) },
  };
};

export const makeReplicaWritable: StepExecutor<'make-replica-writable'> = async (step, ctx) => {
  const all = await eachUnit(ctx, step.units, 'failing over', (ref, options) => {
    const unit = protectedUnit(ctx, ref);
    return ctx.replication.forUnit(unit).failover(unit, step.toSite, options);
  });
  return {
    summary: `${plural(all.length, 'replica')} writable on ${step.toSite}: ${all.map((s) => s.unitId).join(', ')}`,
    details: { units: statusDetails(all) },
  };
};

export const resyncReplication: StepExecutor<'resync-replication'> = async (step, ctx) => {
  // Strictly one unit at a time: every resync loads the one array serving the whole site.
  const all = await eachUnit(ctx, step.units, 'resyncing', async (ref, options) => {
    const unit = protectedUnit(ctx, ref);
    const adapter = ctx.replication.forUnit(unit);
    const before = await adapter.status(unit, { signal: ctx.signal });
    if (before.primarySite !== null && before.primarySite !== step.fromSite) {
      // Resyncing from the wrong side would overwrite the data the VMs wrote since the move.
      throw new StepError(
        'STEP_RESYNC_DIRECTION',
        `${unit.id} is primary on ${before.primarySite}, but the plan resyncs from ${step.fromSite}`,
        {
          retryable: false,
          hint: 'The unit was switched since the plan was made: check where its VMs run, then plan again.',
          details: { unit: unit.id, primarySite: before.primarySite, expected: step.fromSite },
        },
      );
    }
    // After a storage failover the unit idles (both copies writable, no direction): the plan's
    // fromSite is where the VMs wrote since, so it is the side to copy from. Adapters that always
    // know their direction ignore the option.
    const withDirection: ResyncOptions = { ...options, primarySite: step.fromSite };
    return adapter.resync(unit, withDirection);
  });
  return {
    summary: `${plural(all.length, 'unit')} resynced from ${step.fromSite}`,
    details: { units: statusDetails(all) },
  };
};

export const swapRoles: StepExecutor<'swap-roles'> = async (step, ctx) => {
  const [status] = await eachUnit(ctx, [step.unit], 'swapping roles of', (ref, options) => {
    const unit = protectedUnit(ctx, ref);
    return ctx.replication.forUnit(unit).switchover(unit, step.toSite, options);
  });
  return {
    summary: `${step.unit.id} primary on ${status?.primarySite ?? step.toSite} (${status?.raw ?? ''})`,
    details: { units: statusDetails(status ? [status] : []) },
  };
};
