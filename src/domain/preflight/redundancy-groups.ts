import type { Topology } from '../../config/schema.js';
import type { Inventory, InventoryIndex, InventoryVm } from '../inventory.js';

// VMs that back each other up (a load-balanced pair, two LDAP replicas). They come from four
// places, because sites record the intent in different ways: DRS anti-affinity rules, groups in
// sites.yaml, a custom attribute with equal values, and a naming convention. Two sources naming the
// same members make one group with two labels, so a violation is reported once. (VM ids are
// morefs such as vm-42: no spaces, so a space joins them into a key.)

export interface RedundancyGroup {
  index: number;
  /** How the operator knows it: `DRS rule anti-affinity-ldap`, `attribute ha=ldap`. */
  labels: string[];
  /** Sorted VM ids. */
  vmIds: string[];
}

export interface RedundancyIndex {
  groups: RedundancyGroup[];
  /** VM id → indexes into `groups`. */
  groupsOfVm: Map<string, number[]>;
  /** Configured group members the inventory does not have (a typo, or a VM since renamed). */
  unknownVms: Array<{ group: string; vm: string }>;
}

export function attributeValue(vm: InventoryVm, attribute: string): string | undefined {
  const value = vm.attributes[attribute] ?? vm.attributes[`tag:${attribute}`];
  return value === undefined || value.trim() === '' ? undefined : value;
}

export function buildRedundancyGroups(
  topology: Topology,
  inventory: Inventory,
  idx: InventoryIndex,
): RedundancyIndex {
  const labelsByMembers = new Map<string, string[]>();
  const unknownVms: RedundancyIndex['unknownVms'] = [];
  const add = (label: string, vmIds: Iterable<string>) => {
    const ids = uniqueSorted(vmIds);
    if (ids.length < 2) return;
    const key = ids.join(' ');
    const labels = labelsByMembers.get(key);
    if (!labels) labelsByMembers.set(key, [label]);
    else if (!labels.includes(label)) labels.push(label);
  };
  const { redundancy } = topology;

  if (redundancy.drsAntiAffinity) {
    const known = inventoryIdsAmong(inventory, ruleVmIds(inventory));
    for (const cluster of inventory.clusters) {
      for (const rule of cluster.antiAffinityRules) {
        if (rule.enabled)
          add(
            `DRS rule ${rule.name}`,
            rule.vms.filter((id) => known.has(id)),
          );
      }
    }
  }
  for (const group of redundancy.groups) {
    const ids: string[] = [];
    for (const name of group.vms) {
      const vm = idx.vmByName.get(name);
      if (vm) ids.push(vm.id);
      else unknownVms.push({ group: group.name, vm: name });
    }
    add(`group ${group.name}`, ids);
  }
  if (redundancy.attribute !== undefined) {
    const attr = redundancy.attribute;
    addBuckets(
      add,
      inventory.vms,
      (vm) => attributeValue(vm, attr),
      (v) => `attribute ${attr}=${v}`,
    );
  }
  if (redundancy.namePattern !== undefined) {
    const re = new RegExp(redundancy.namePattern);
    addBuckets(
      add,
      inventory.vms,
      (vm) => re.exec(vm.name)?.[1] || undefined,
      (v) => `name pattern ${v}`,
    );
  }
  return indexGroups(labelsByMembers, unknownVms);
}

function ruleVmIds(inventory: Inventory): Set<string> {
  const ids = new Set<string>();
  for (const cluster of inventory.clusters) {
    for (const rule of cluster.antiAffinityRules) if (rule.enabled) for (const id of rule.vms) ids.add(id);
  }
  return ids;
}

/** Which of `ids` the inventory has: a set of those few, not a table of every VM by id. */
function inventoryIdsAmong(inventory: Inventory, ids: ReadonlySet<string>): Set<string> {
  const known = new Set<string>();
  if (ids.size === 0) return known;
  for (let i = 0; i < inventory.vms.length; i++) {
    const id = inventory.vms[i]!.id;
    if (ids.has(id)) known.add(id);
  }
  return known;
}

/** The distinct ids in sorted order: sorted first, so duplicates sit side by side and no Set is needed. */
function uniqueSorted(vmIds: Iterable<string>): string[] {
  const ids = [...vmIds];
  // Most groups are pairs: the built-in sort sets up more than a pair needs, hundreds of times.
  if (ids.length > 8) ids.sort();
  else insertionSort(ids);
  let n = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as string;
    if (n === 0 || ids[n - 1] !== id) ids[n++] = id;
  }
  ids.length = n;
  return ids;
}

/** The order of sort() without a comparator, for strings (UTF-16 code units). */
function insertionSort(ids: string[]): void {
  for (let i = 1; i < ids.length; i++) {
    const id = ids[i]!;
    let j = i - 1;
    while (j >= 0 && ids[j]! > id) {
      ids[j + 1] = ids[j]!;
      j--;
    }
    ids[j + 1] = id;
  }
}

/** Groups in member order, not discovery order, so reordered inventories give the same indexes. */
function indexGroups(
  labelsByMembers: Map<string, string[]>,
  unknownVms: RedundancyIndex['unknownVms'],
): RedundancyIndex {
  const result: RedundancyIndex = { groups: [], groupsOfVm: new Map(), unknownVms };
  for (const key of [...labelsByMembers.keys()].sort()) {
    const group: RedundancyGroup = {
      index: result.groups.length,
      labels: labelsByMembers.get(key) ?? [],
      vmIds: key.split(' '),
    };
    result.groups.push(group);
    for (const id of group.vmIds) {
      const list = result.groupsOfVm.get(id);
      if (list) list.push(group.index);
      else result.groupsOfVm.set(id, [group.index]);
    }
  }
  return result;
}

function addBuckets(
  add: (label: string, ids: string[]) => void,
  vms: InventoryVm[],
  keyOf: (vm: InventoryVm) => string | undefined,
  labelOf: (key: string) => string,
): void {
  const buckets = new Map<string, string[]>();
  for (const vm of vms) {
    if (vm.template) continue;
    const key = keyOf(vm);
    if (key === undefined) continue;
    const list = buckets.get(key);
    if (list) list.push(vm.id);
    else buckets.set(key, [vm.id]);
  }
  for (const [key, ids] of buckets) add(labelOf(key), ids);
}
