import type { InventoryVm } from '../../domain/inventory.js';
import type { VmotionStep, VmTarget } from '../../domain/plan/types.js';
import { type ActionFailure, failuresError, StepError, throwIfAborted } from './errors.js';
import type { StepExecutor } from './types.js';
import { hostName, plural, readWorld, requireOneVm, vmScope, type World } from './world.js';

// Live Volume: the datastore is mounted at both sites, so VMs vMotion across while they run. At
// most `perHostLimit` relocations leave or reach any one host at a time (a host's vMotion network
// is the bottleneck, and vCenter queues the rest anyway). VMs already in the target cluster are
// skipped, so a resumed step moves only the rest.

type Move = VmotionStep['moves'][number];

interface Job {
  move: Move;
  vm: InventoryVm;
  target: VmTarget;
  from: string;
  to: string;
}

function inTargetCluster(world: World, vm: InventoryVm, target: VmTarget): boolean {
  const host = vm.host === null ? undefined : world.idx.host.get(vm.host);
  const cluster = host?.cluster == null ? undefined : world.idx.cluster.get(host.cluster);
  return cluster?.name === target.cluster;
}

export const vmotionVms: StepExecutor<'vmotion-vms'> = async (step, ctx) => {
  const world = await readWorld(ctx, vmScope(step.moves));
  const limit = Math.max(1, step.perHostLimit);
  const pending: Job[] = [];
  for (const move of step.moves) {
    if (move.target === null) {
      throw new StepError('STEP_NO_TARGET', `the plan has no destination host for ${move.name}`, {
        retryable: false,
        hint: 'Preflight could not place this VM: fix the destination cluster, then plan again.',
        details: { vm: move.name },
      });
    }
    const vm = requireOneVm(world, move.name, move.id);
    if (inTargetCluster(world, vm, move.target)) continue;
    pending.push({ move, vm, target: move.target, from: vm.host ?? '', to: move.target.host.id });
  }
  const total = step.moves.length;
  const skipped = total - pending.length;
  let done = skipped;
  const busy = new Map<string, number>();
  const peak = new Map<string, number>();
  const use = (host: string, d: number) => {
    const n = (busy.get(host) ?? 0) + d;
    busy.set(host, n);
    peak.set(host, Math.max(n, peak.get(host) ?? 0));
  };
  const free = (j: Job) => (busy.get(j.from) ?? 0) < limit && (busy.get(j.to) ?? 0) < limit;
  const failures: ActionFailure[] = [];
  const running = new Set<Promise<void>>();
  const report = () =>
    ctx.progress({
      percent: Math.round((done / Math.max(1, total)) * 100),
      message: `vMotion ${done}/${total} VMs (${running.size} in flight)`,
    });
  report();

  const start = (j: Job) => {
    use(j.from, 1);
    if (j.to !== j.from) use(j.to, 1);
    const p = ctx.vsphere
      .relocate(j.vm.id, { host: j.target.host.id, pool: j.target.resourcePool }, { signal: ctx.signal })
      .then(
        (out) => {
          done++;
          ctx.log.info({ vm: j.vm.name, from: hostName(world, j.from), to: j.target.host.name }, out.detail);
        },
        (error: unknown) => {
          failures.push({ target: j.vm.name, error });
        },
      )
      .finally(() => {
        use(j.from, -1);
        if (j.to !== j.from) use(j.to, -1);
        running.delete(p);
        report();
      });
    running.add(p);
  };

  while (pending.length > 0 || running.size > 0) {
    // Stop starting new moves once cancelled; the ones in flight finish (a vMotion cannot be
    // abandoned half-way safely), then the step reports the abort.
    if (!ctx.signal.aborted) {
      for (let i = 0; i < pending.length; ) {
        const j = pending[i] as Job;
        if (free(j)) {
          pending.splice(i, 1);
          start(j);
        } else i++;
      }
    } else pending.length = 0;
    if (running.size === 0) break;
    await Promise.race(running);
  }
  throwIfAborted(ctx.signal, 'the remaining vMotions');
  if (failures.length > 0) throw failuresError('vMotions', failures, total - skipped);
  const peakPerHost = Object.fromEntries([...peak].map(([id, n]) => [hostName(world, id), n]));
  return {
    summary: `${plural(total - skipped, 'VM')} moved by vMotion, ${skipped} already at the destination`,
    details: { moved: total - skipped, alreadyThere: skipped, perHostLimit: limit, peakPerHost },
  };
};
