import type { DatastoreRef, HostRef } from '../../domain/plan/types.js';
import { type ActionFailure, failuresError, StepError, throwIfAborted } from './errors.js';
import type { StepContext, StepExecutor } from './types.js';
import { eachLimited, plural, readWorld, type World } from './world.js';

// The storage half of a cold move, on the hosts: unmount at the source once no VM uses the
// datastore, rescan at the destination once the array made the replica writable, then force-mount
// the replica keeping its VMFS UUID (so every .vmx path stays valid). Mount and unmount read each
// host's mount table first; rescans have no goal state and are simply sent again on a re-run.

/** Hosts (un)mounting at once. */
const MOUNT_PARALLELISM = 8;

/** The datastores themselves, and the VMs using them (which must be none before an unmount). */
function datastoreScope(datastores: readonly DatastoreRef[]) {
  return { vmNames: [], datastoreNames: datastores.map((d) => d.name) };
}

/** The datastore's VMFS UUID: from the plan, or by name from vCenter when the plan had none. */
function uuidOf(world: World, ds: DatastoreRef): string | null {
  return ds.vmfsUuid ?? world.idx.datastoreByName.get(ds.name)?.vmfsUuid ?? null;
}

export const unmountDatastore: StepExecutor<'unmount-datastore'> = async (step, ctx) => {
  const world = await readWorld(ctx, datastoreScope(step.datastores));
  // Every host of the source site(s) that mounts it now, not only those the plan saw: a host added
  // to the cluster since would otherwise keep the LUN busy.
  const sourceSites = new Set(step.hosts.map((h) => world.sites.siteOfHost.get(h.id)).filter((s) => s));
  const work: Array<{ host: HostRef; ds: DatastoreRef; uuid: string }> = [];
  const unknown: string[] = [];
  for (const ds of step.datastores) {
    const uuid = uuidOf(world, ds);
    if (uuid === null) {
      unknown.push(ds.name);
      continue;
    }
    const current = world.idx.datastoreByName.get(ds.name);
    const users = world.inventory.vms.filter((v) => current && v.datastores.includes(current.id));
    if (users.length > 0) {
      throw new StepError(
        'STEP_DATASTORE_IN_USE',
        `${ds.name} still holds registered VMs: ${users.map((v) => v.name).join(', ')}`,
        {
          retryable: false,
          hint: 'These VMs are not part of this move: migrate them off the datastore (Storage vMotion) or unregister them, then resume the run.',
          details: { datastore: ds.name, vms: users.map((v) => v.name) },
        },
      );
    }
    const hosts = new Map(step.hosts.map((h) => [h.id, h]));
    for (const id of current?.hosts ?? []) {
      const site = world.sites.siteOfHost.get(id);
      if (!hosts.has(id) && site && sourceSites.has(site)) {
        hosts.set(id, { id, name: world.idx.host.get(id)?.name ?? id });
      }
    }
    for (const host of hosts.values()) work.push({ host, ds, uuid });
  }
  let changed = 0;
  let i = 0;
  // Hosts unmount independently of each other (each reads its own mount table first), as the
  // mounts below do.
  const failed = await eachLimited(work, MOUNT_PARALLELISM, async (w) => {
    throwIfAborted(ctx.signal, `unmounting ${w.ds.name} from ${w.host.name}`);
    ctx.progress({
      percent: Math.round((i++ / Math.max(1, work.length)) * 100),
      message: `unmounting ${w.ds.name} from ${w.host.name}`,
    });
    const out = await ctx.vsphere.unmountVmfs(w.host.id, w.uuid, { signal: ctx.signal });
    if (out.changed) changed++;
    ctx.log.info({ host: w.host.name, datastore: w.ds.name }, out.detail);
  });
  throwIfAborted(ctx.signal, 'the remaining unmounts');
  const failures: ActionFailure[] = failed.map((f) => ({
    target: `${f.item.ds.name} on ${f.item.host.name}`,
    error: f.error,
  }));
  if (failures.length > 0) throw failuresError('unmounts', failures, work.length);
  ctx.progress({ percent: 100, message: `unmounted from ${plural(work.length, 'host mount')}` });
  return {
    summary:
      `${step.datastores.map((d) => d.name).join(', ')} unmounted: ${changed} of ${plural(work.length, 'host mount')} changed` +
      (unknown.length > 0 ? `; not in vCenter: ${unknown.join(', ')}` : ''),
    details: { unmounted: changed, alreadyUnmounted: work.length - changed, notInVcenter: unknown },
  };
};

export const rescanHosts: StepExecutor<'rescan-hosts'> = async (step, ctx) => {
  // All hosts at once, as the plan's estimate assumes: a rescan takes seconds to minutes per host
  // and they do not depend on each other.
  let done = 0;
  const total = step.hosts.length;
  ctx.progress({ percent: 0, message: `rescanning storage on ${plural(total, 'host')}` });
  const failed = await eachLimited(step.hosts, Math.max(1, total), async (host) => {
    throwIfAborted(ctx.signal, `rescanning ${host.name}`);
    await ctx.vsphere.rescanAllHba(host.id, { signal: ctx.signal });
    done++;
    ctx.progress({ percent: Math.round((done / total) * 100), message: `rescanned ${done}/${total} hosts` });
  });
  throwIfAborted(ctx.signal, 'the remaining rescans');
  if (failed.length > 0) {
    throw failuresError(
      'rescans',
      failed.map((f) => ({ target: f.item.name, error: f.error })),
      total,
    );
  }
  return { summary: `${plural(total, 'host')} rescanned`, details: { hosts: total } };
};

type MountResult = 'already' | 'resolved' | 'mounted';

async function mountOne(ctx: StepContext, host: HostRef, ds: DatastoreRef, uuid: string | null) {
  const mounts = await ctx.vsphere.vmfsMounts(host.id, { signal: ctx.signal });
  const known = mounts.find((m) => (uuid !== null ? m.vmfsUuid === uuid : m.name === ds.name));
  if (known?.mounted) return { result: 'already' as MountResult, uuid: known.vmfsUuid };
  const unresolved = await ctx.vsphere.queryUnresolvedVmfs(host.id, { signal: ctx.signal });
  const copy = unresolved.find((u) => (uuid !== null && u.vmfsUuid === uuid) || u.vmfsLabel === ds.name);
  if (copy) {
    const out = await ctx.vsphere.resolveUnresolvedVmfs(
      host.id,
      copy.extents.map((e) => e.devicePath),
      'forceMount',
      { signal: ctx.signal },
    );
    return { result: (out.changed ? 'resolved' : 'already') as MountResult, uuid: out.vmfsUuid };
  }
  // Known to the host but unmounted (by hand, or resolved earlier and unmounted since).
  if (known) {
    await ctx.vsphere.mountVmfs(host.id, known.vmfsUuid, { signal: ctx.signal });
    return { result: 'mounted' as MountResult, uuid: known.vmfsUuid };
  }
  throw new StepError(
    'STEP_REPLICA_NOT_VISIBLE',
    `${ds.name} is not visible to ${host.name}, even unresolved`,
    {
      // The array may still be presenting the LUN: a later attempt, after a rescan, can succeed.
      retryable: true,
      hint: `Check on the array that the replica of ${ds.name} is writable and mapped to ${host.name}, rescan the host's HBAs, then resume the run.`,
      details: { datastore: ds.name, host: host.name, vmfsUuid: uuid },
    },
  );
}

export const mountDatastore: StepExecutor<'mount-datastore'> = async (step, ctx) => {
  const world = await readWorld(ctx, datastoreScope(step.datastores));
  const counts: Record<MountResult, number> = { already: 0, resolved: 0, mounted: 0 };
  const failures: ActionFailure[] = [];
  const total = step.datastores.length * step.hosts.length;
  let i = 0;
  for (const ds of step.datastores) {
    const uuid = uuidOf(world, ds);
    // Each host resolves its own view of the replica, independently of the others: mounting them
    // all at once takes one host's time instead of the sum (a wide cluster mounts in seconds).
    const failed = await eachLimited(step.hosts, MOUNT_PARALLELISM, async (host) => {
      throwIfAborted(ctx.signal, `mounting ${ds.name} on ${host.name}`);
      ctx.progress({
        percent: Math.round((i++ / Math.max(1, total)) * 100),
        message: `mounting ${ds.name} on ${host.name}`,
      });
      const out = await mountOne(ctx, host, ds, uuid);
      if (uuid !== null && out.uuid !== null && out.uuid !== uuid) {
        // A resignatured copy would break every .vmx path: never accept one silently.
        throw new StepError(
          'STEP_REPLICA_NOT_VISIBLE',
          `${host.name} mounted ${ds.name} with VMFS UUID ${out.uuid}, expected ${uuid}`,
          {
            retryable: false,
            hint: 'The copy was resignatured (snap- datastore): unmount it, then force-mount the replica keeping its UUID.',
            details: { datastore: ds.name, host: host.name, expected: uuid, found: out.uuid },
          },
        );
      }
      counts[out.result]++;
    });
    throwIfAborted(ctx.signal, 'the remaining mounts');
    for (const f of failed) failures.push({ target: `${ds.name} on ${f.item.name}`, error: f.error });
  }
  if (failures.length > 0) throw failuresError('mounts', failures, total);
  ctx.progress({ percent: 100, message: `${step.datastores.length} datastore(s) mounted on every host` });
  return {
    summary:
      `${step.datastores.map((d) => d.name).join(', ')} mounted on ${plural(step.hosts.length, 'host')}` +
      ` (${counts.resolved} force-mounted, ${counts.mounted} remounted, ${counts.already} already mounted)`,
    details: { forceMounted: counts.resolved, remounted: counts.mounted, alreadyMounted: counts.already },
  };
};
