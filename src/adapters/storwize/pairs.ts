import type { StorwizeArrayConfig } from '../../config/schema.js';
import type { ProtectedUnit } from '../../domain/replication.js';
import type { StorwizeConnection } from './connection.js';
import { StorwizeError } from './errors.js';
import { objectName } from './names.js';
import type { UnitRef } from './read.js';
import { roleOfSite } from './status.js';
import type { RcView, Role } from './types.js';

// Which two arrays a unit lives on: its own (protection[].array) and that array's partner on the
// other site. Everything here fails before any connection is opened.

export interface Pair {
  unit: ProtectedUnit;
  ref: UnitRef;
  home: StorwizeConnection;
  partner: StorwizeConnection;
}

export function configError(message: string, hint: string): StorwizeError {
  return new StorwizeError('STORWIZE_CONFIG', message, { hint });
}

export function resolvePair(
  unit: ProtectedUnit,
  configs: ReadonlyMap<string, StorwizeArrayConfig>,
  connections: ReadonlyMap<string, StorwizeConnection>,
): Pair {
  if (
    unit.method !== 'storwize' ||
    (unit.ref.kind !== 'relationship' && unit.ref.kind !== 'consistency-group')
  ) {
    throw configError(
      `unit ${unit.id} is not a Storwize relationship or consistency group`,
      'Route it to the adapter of its method.',
    );
  }
  const what = unit.ref.kind === 'relationship' ? 'relationship' : 'consistency group';
  const ref: UnitRef = { kind: unit.ref.kind, name: objectName(unit.ref.name, what) };
  const home = configs.get(unit.array);
  if (!home) {
    throw configError(
      `unit ${unit.id} names array ${unit.array}, which is not a Storwize array given to the adapter`,
      'Check protection[].array in sites.yaml.',
    );
  }
  const partner = home.partner
    ? configs.get(home.partner)
    : [...configs.values()].find(
        (c) => c.site !== home.site && (c.partner === undefined || c.partner === home.name),
      );
  if (!partner || partner.site === home.site) {
    throw configError(
      `array ${home.name} has no partner array on the other site`,
      'Set partner on both Storwize arrays in sites.yaml.',
    );
  }
  const conn = (name: string) => {
    const c = connections.get(name);
    if (!c)
      throw configError(
        `no connection for array ${name}`,
        'Give every Storwize array of sites.yaml to the adapter.',
      );
    return c;
  };
  return { unit, ref, home: conn(home.name), partner: conn(partner.name) };
}

export function onSite(p: Pair, site: string): StorwizeConnection {
  if (p.home.site === site) return p.home;
  if (p.partner.site === site) return p.partner;
  throw configError(
    `site ${site} has no array in the partnership of ${p.unit.id} (${p.home.site}, ${p.partner.site})`,
    'Name one of the two sites of the partnership.',
  );
}

export function otherThan(p: Pair, conn: StorwizeConnection): StorwizeConnection {
  return conn === p.home ? p.partner : p.home;
}

export function roleOn(p: Pair, v: RcView, site: string): Role {
  const role = roleOfSite(v, site);
  if (!role) {
    throw configError(
      `site ${site} is neither side of ${v.name} (${v.masterSite}, ${v.auxSite})`,
      `Check the sites of ${p.unit.id} in sites.yaml.`,
    );
  }
  return role;
}
