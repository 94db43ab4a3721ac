import type { ActionOptions } from '../../adapters/replication/types.js';
import { throwIfAborted } from './errors.js';
import type { StepContext, StepExecutor } from './types.js';
import { protectedUnit } from './world.js';

// Zerto moves VMs itself (shutdown, recovery on the other site, power-on). The move is started
// with commit policy None so Bascule verifies the VMs before committing; the adapter returns at
// once when the VPG already waits for commit toward that site, which makes a re-run safe.

function options(ctx: StepContext, what: string): ActionOptions {
  return {
    signal: ctx.signal,
    onProgress: (p) => ctx.progress({ percent: p.percent, message: `${what}: ${p.message}` }),
  };
}

export const zertoMove: StepExecutor<'zerto-move'> = async (step, ctx) => {
  throwIfAborted(ctx.signal, `moving ${step.unit.id}`);
  const unit = protectedUnit(ctx, step.unit);
  const status = await ctx.replication.zerto(unit).move(unit, step.toSite, {
    ...options(ctx, `moving ${unit.id}`),
    commitPolicy: step.commitPolicy,
    reverseProtection: step.reverseProtection,
    forceShutdown: step.forceShutdown,
  });
  return {
    summary: `${unit.id}: ${step.vms.length} VMs recovered on ${step.toSite} (${status.raw}); commit follows verification`,
    details: { unit: unit.id, primarySite: status.primarySite, health: status.health, raw: status.raw },
  };
};

export const zertoFailover: StepExecutor<'zerto-failover'> = async (step, ctx) => {
  throwIfAborted(ctx.signal, `failing over ${step.unit.id}`);
  const unit = protectedUnit(ctx, step.unit);
  const status = await ctx.replication
    .zerto(unit)
    .failover(unit, step.toSite, options(ctx, `failover ${unit.id}`));
  return {
    summary: `${unit.id}: ${step.vms.length} VMs recovered on ${step.toSite} (${status.raw}); commit follows verification`,
    details: { unit: unit.id, primarySite: status.primarySite, health: status.health, raw: status.raw },
  };
};

export const zertoCommit: StepExecutor<'zerto-commit'> = async (step, ctx) => {
  throwIfAborted(ctx.signal, `committing ${step.unit.id}`);
  const unit = protectedUnit(ctx, step.unit);
  const status = await ctx.replication.zerto(unit).commit(unit, options(ctx, `committing ${unit.id}`));
  return {
    summary: `${unit.id} committed: primary on ${status.primarySite ?? '(none)'} (${status.raw})`,
    details: { unit: unit.id, primarySite: status.primarySite, health: status.health, raw: status.raw },
  };
};
