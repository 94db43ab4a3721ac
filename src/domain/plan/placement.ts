import type { InventoryHost, InventoryVm } from '../inventory.js';

// Where each arriving VM runs at the destination. Greedy and deterministic: the biggest VMs first,
// each to the host with the lowest memory load after adding it, avoiding hosts that already run
// (or will run) a member of one of its redundancy groups, so a pair does not end up on one host
// the way DRS anti-affinity would have prevented. Hosts × VMs, no more: 20 hosts × 5,000 VMs.

export interface PlacementInput {
  vms: readonly InventoryVm[];
  /** Usable destination hosts. */
  hosts: readonly InventoryHost[];
  /** Powered-on VMs already running on those hosts. */
  running: Iterable<InventoryVm>;
  groupsOfVm: ReadonlyMap<string, readonly number[]>;
  /** Ids of the hosts a VM may go to (Live Volume: hosts mounting its datastores); null for any. */
  allowedHosts?: (vm: InventoryVm) => ReadonlySet<string> | null;
}

interface HostLoad {
  host: InventoryHost;
  /** The host's memory, at least 1, read once: bestHost divides by it 50,000 times. */
  capacityMb: number;
  memoryMb: number;
  count: number;
  groups: Set<number>;
}

/** Shared by every VM in no redundancy group: no empty array per VM. */
const noGroups: readonly number[] = [];

export function placeVms(input: PlacementInput): Map<string, InventoryHost | null> {
  const loads: HostLoad[] = input.hosts.map((host) => ({
    host,
    capacityMb: Math.max(host.memoryMb, 1),
    memoryMb: 0,
    count: 0,
    groups: new Set<number>(),
  }));
  const byId = new Map(loads.map((l) => [l.host.id, l]));
  for (const vm of input.running) {
    const load = vm.host === null ? undefined : byId.get(vm.host);
    if (load) assign(load, vm, input.groupsOfVm);
  }
  const ordered = [...input.vms].sort((a, b) => b.memoryMb - a.memoryMb || (a.name < b.name ? -1 : 1));
  const result = new Map<string, InventoryHost | null>();
  for (let i = 0; i < ordered.length; i++) {
    const vm = ordered[i]!;
    const best = bestHost(
      vm,
      loads,
      input.groupsOfVm.get(vm.id) ?? noGroups,
      input.allowedHosts?.(vm) ?? null,
    );
    if (best) assign(best, vm, input.groupsOfVm);
    result.set(vm.id, best ? best.host : null);
  }
  return result;
}

function assign(load: HostLoad, vm: InventoryVm, groupsOfVm: ReadonlyMap<string, readonly number[]>): void {
  if (vm.powerState === 'poweredOn') load.memoryMb += vm.memoryMb;
  load.count++;
  const groups = groupsOfVm.get(vm.id);
  if (groups !== undefined) for (const g of groups) load.groups.add(g);
}

/** Lowest (peer conflict, memory ratio after, VM count, name) wins; no allocation per host. */
function bestHost(
  vm: InventoryVm,
  loads: HostLoad[],
  groups: readonly number[],
  allowed: ReadonlySet<string> | null,
): HostLoad | null {
  const demand = vm.powerState === 'poweredOn' ? vm.memoryMb : 0;
  const grouped = groups.length > 0;
  let best: HostLoad | null = null;
  let bestConflict = 0;
  let bestRatio = 0;
  for (let i = 0; i < loads.length; i++) {
    const load = loads[i] as HostLoad;
    if (allowed !== null && !allowed.has(load.host.id)) continue;
    let conflict = 0;
    if (grouped) {
      for (let j = 0; j < groups.length; j++) {
        if (load.groups.has(groups[j] as number)) {
          conflict = 1;
          break;
        }
      }
    }
    const ratio = (load.memoryMb + demand) / load.capacityMb;
    if (
      best === null ||
      conflict < bestConflict ||
      (conflict === bestConflict &&
        (ratio < bestRatio ||
          (ratio === bestRatio &&
            (load.count < best.count || (load.count === best.count && load.host.name < best.host.name)))))
    ) {
      best = load;
      bestConflict = conflict;
      bestRatio = ratio;
    }
  }
  return best;
}
