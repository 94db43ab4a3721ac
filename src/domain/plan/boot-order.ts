import type { Topology } from '../../config/schema.js';
import type { PowerOnGroup } from './types.js';

// Boot order at the destination: DNS and LDAP before the applications that need them. VMs that
// no group names start last. Between groups the engine waits for the Tools heartbeat of the VMs
// that have Tools; a VM without Tools would never answer, so it is not waited for.

export interface BootVm {
  name: string;
  host: string | null;
  toolsRunning: boolean;
}

export interface BootMatcher {
  name: string;
  matches(vmName: string): boolean;
}

export const otherGroupName = '(other VMs)';

export function bootMatchers(bootOrder: Topology['bootOrder']): BootMatcher[] {
  return bootOrder.map((g) => {
    const names = new Set(g.vms);
    const re = g.pattern === undefined ? null : new RegExp(g.pattern);
    return { name: g.name, matches: (vm: string) => names.has(vm) || re?.test(vm) === true };
  });
}

export function bootGroups(vms: readonly BootVm[], matchers: readonly BootMatcher[]): PowerOnGroup[] {
  const buckets: BootVm[][] = matchers.map(() => []);
  const others: BootVm[] = [];
  for (const vm of vms) {
    const i = matchers.findIndex((m) => m.matches(vm.name));
    if (i >= 0) buckets[i]?.push(vm);
    else others.push(vm);
  }
  const named = matchers.map((m, i) => ({ name: m.name, vms: buckets[i] ?? [] }));
  const all = [...named, { name: otherGroupName, vms: others }].filter((g) => g.vms.length > 0);
  return all.map((g, i) => ({
    name: g.name,
    vms: g.vms.map((v) => ({ name: v.name, host: v.host })),
    waitForTools: i === all.length - 1 ? [] : g.vms.filter((v) => v.toolsRunning).map((v) => v.name),
  }));
}
