import { VsphereAlreadyRegisteredError } from '../../adapters/vsphere/index.js';
import type { InventoryVm } from '../../domain/inventory.js';
import type { RegisterStep, VmTarget } from '../../domain/plan/types.js';
import { failuresError, StepError, throwIfAborted } from './errors.js';
import type { StepContext, StepExecutor } from './types.js';
import {
  datacenterOf,
  eachLimited,
  hostName,
  plural,
  readWorld,
  siteOfVm,
  vmScope,
  type World,
} from './world.js';

// Registers each .vmx of the replica into the host and pool the plan chose, a few at once. A .vmx
// already registered in the target cluster is this run's own earlier work (a resume): it is kept.
// One registered anywhere else means the source entry was never removed: registering again would
// put two VMs on the same disks, so the step stops before registering anything.

function inTarget(world: World, vm: InventoryVm, target: VmTarget): boolean {
  if (vm.resourcePool === target.resourcePool) return true;
  const host = vm.host === null ? undefined : world.idx.host.get(vm.host);
  const cluster = host?.cluster == null ? undefined : world.idx.cluster.get(host.cluster);
  return cluster?.name === target.cluster;
}

/** Registrations at once in one step (each is a short vCenter task; vCenter queues beyond this). */
export const parallelRegistrations = 4;

export interface RegisterOptions {
  /** Registrations at once (default parallelRegistrations). */
  parallelRegistrations?: number;
}

type Planned = RegisterStep['vms'][number] & { target: VmTarget };

export function createRegisterVms(options: RegisterOptions = {}): StepExecutor<'register-vms'> {
  const limit = Math.max(1, options.parallelRegistrations ?? parallelRegistrations);
  return (step, ctx) => registerAll(step, ctx, limit);
}

export const registerVms: StepExecutor<'register-vms'> = createRegisterVms();

async function registerAll(step: RegisterStep, ctx: StepContext, limit: number) {
  const world = await readWorld(ctx, vmScope(step.vms));
  const ids: Record<string, string> = {};
  const total = step.vms.length;
  // Everything the plan or the world makes impossible is refused before the first registration,
  // so a refused step leaves nothing half done.
  const todo: Planned[] = [];
  for (const v of step.vms) {
    if (v.target === null) {
      throw new StepError('STEP_NO_TARGET', `the plan has no destination host for ${v.name}`, {
        retryable: false,
        hint: 'Preflight could not place this VM (capacity or no usable host): fix the destination cluster, then plan again.',
        details: { vm: v.name },
      });
    }
    if (v.template) {
      throw new StepError(
        'STEP_TEMPLATE_UNSUPPORTED',
        `${v.name} is a template; Bascule registers VMs only`,
        {
          retryable: false,
          hint: `Register ${v.vmxPath.replace(/\.vmx$/, '.vmtx')} as a template by hand in the vSphere client, then resume the run.`,
          details: { vm: v.name, vmxPath: v.vmxPath },
        },
      );
    }
    const target = v.target;
    const existing = world.byVmx.get(v.vmxPath) ?? [];
    const here = existing.find((e) => inTarget(world, e, target));
    const elsewhere = existing.filter((e) => e !== here);
    if (elsewhere.length > 0) throw registeredElsewhere(world, v.name, v.vmxPath, elsewhere);
    if (here) ids[v.name] = here.id;
    else todo.push({ ...v, target });
  }
  const already = total - todo.length;
  let done = already;
  const report = () =>
    ctx.progress({
      percent: Math.round((done / Math.max(1, total)) * 100),
      message: `registering ${done}/${total} VMs`,
    });
  report();
  const failures = await eachLimited(todo, limit, async (v) => {
    throwIfAborted(ctx.signal, `registering ${v.name}`);
    const dc = datacenterOf(world, ctx, siteOfHostId(world, v.target.host.id), step.folder);
    try {
      const out = await ctx.vsphere.register(
        v.vmxPath,
        {
          datacenter: dc.id,
          folder: step.folder ?? dc.vmFolder,
          pool: v.target.resourcePool,
          host: v.target.host.id,
          name: v.name,
        },
        { signal: ctx.signal },
      );
      ids[v.name] = out.vm.value;
      ctx.log.info({ vm: v.name, id: out.vm.value, host: v.target.host.name }, out.detail);
    } catch (err) {
      if (err instanceof VsphereAlreadyRegisteredError) {
        const fresh = await readWorld(ctx, vmScope([v]));
        throw registeredElsewhere(fresh, v.name, v.vmxPath, fresh.byVmx.get(v.vmxPath) ?? []);
      }
      throw err;
    }
    done++;
    report();
  });
  throwIfAborted(ctx.signal, 'the remaining registrations');
  if (failures.length > 0) {
    throw failuresError(
      'registrations',
      failures.map((f) => ({ target: f.item.name, error: f.error })),
      todo.length,
    );
  }
  return {
    summary: `${plural(total - already, 'VM')} registered, ${already} already registered at the destination`,
    details: { vmIds: ids, alreadyRegistered: already },
  };
}

function siteOfHostId(world: World, id: string): string | null {
  return world.sites.siteOfHost.get(id) ?? null;
}

function registeredElsewhere(world: World, name: string, vmxPath: string, entries: InventoryVm[]): StepError {
  const where = entries.map(
    (e) => `${e.id} on ${hostName(world, e.host)} (${siteOfVm(world, e) ?? 'no site'})`,
  );
  return new StepError(
    'STEP_REGISTERED_ELSEWHERE',
    `${vmxPath} (${name}) is already registered as ${where.join(', ')}`,
    {
      retryable: false,
      hint:
        'The source entry was not removed, or someone registered the VM by hand: make sure it is powered off, ' +
        'unregister that entry in the vSphere client, then resume the run.',
      details: {
        vm: name,
        vmxPath,
        entries: entries.map((e) => ({ id: e.id, host: hostName(world, e.host) })),
      },
    },
  );
}
