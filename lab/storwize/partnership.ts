import type { LabModel } from '../model.js';
import { SimCliError } from './messages.js';
import { type UnitCore, writableRoles } from './transitions.js';
import type { RcState, Role, SimHalfView, SimRelationshipState } from './types.js';

// The two V7000 systems of the partnership and the relationships between them, built from the
// lab model: one relationship per Storwize datastore, master on the datastore's site. Both SSH
// listeners read and change this one object, as two real systems share one relationship state.

/** Background copy rate at time scale 1: about 100 MB/s, a GM link shared with production. */
export const COPY_GB_PER_SECOND = 0.1;

export interface ArrayInfo {
  name: string;
  site: string;
  clusterId: string;
}

export interface Relationship {
  id: number;
  name: string;
  datastore: string;
  changedGb: number;
  master: ArrayInfo;
  aux: ArrayInfo;
  masterVdisk: { id: number; name: string };
  auxVdisk: { id: number; name: string };
  group: Group | null;
  unit: Unit;
}

export interface Group {
  id: number;
  name: string;
  master: ArrayInfo;
  aux: ArrayInfo;
  members: Relationship[];
  unit: Unit;
}

export interface Unit {
  name: string;
  core: UnitCore;
  members: Relationship[];
  /** Real-clock ms of the last copy progress update. */
  lastTick: number;
}

export interface UnitView {
  state: RcState;
  primary: Role | '';
  progress: number | null;
  sync: '' | 'in_sync' | 'out_of_sync';
  freezeTime: Date | null;
  status: 'online' | 'io_channel_offline';
}

export class Partnership {
  readonly arrays: [ArrayInfo, ArrayInfo];
  readonly relationships: Relationship[] = [];
  readonly groups: Group[] = [];
  private readonly timeScale: number;

  constructor(model: LabModel, timeScale: number) {
    this.timeScale = timeScale;
    const [a, b] = model.sites;
    if (!a || !b) throw new Error('the Storwize stand-in needs a model with two sites');
    this.arrays = [
      { name: `v7000-${a}`, site: a, clusterId: '0000020061A00000' },
      { name: `v7000-${b}`, site: b, clusterId: '0000020061B00000' },
    ];
    const now = Date.now();
    const groups = new Map<string, Group>();
    for (const ds of model.datastores) {
      if (ds.method !== 'storwize' || !ds.relationship) continue;
      const master = this.arrayOfSite(ds.site);
      const aux = this.arrays.find((x) => x !== master) as ArrayInfo;
      const id = this.relationships.length;
      let group: Group | null = null;
      if (ds.consistencyGroup) {
        group = groups.get(ds.consistencyGroup) ?? null;
        if (!group) {
          group = {
            id: groups.size,
            name: ds.consistencyGroup,
            master,
            aux,
            members: [],
            unit: newUnit(ds.consistencyGroup, now),
          };
          groups.set(group.name, group);
          this.groups.push(group);
        } else if (group.master !== master) {
          throw new Error(`consistency group ${group.name} mixes datastores of both sites`);
        }
      }
      const rel: Relationship = {
        id,
        name: ds.relationship,
        datastore: ds.name,
        changedGb: ds.changedGb,
        master,
        aux,
        masterVdisk: { id: id * 2, name: ds.name },
        auxVdisk: { id: id * 2 + 1, name: `${ds.name}_aux` },
        group,
        unit: group ? group.unit : newUnit(ds.relationship, now),
      };
      rel.unit.members.push(rel);
      group?.members.push(rel);
      this.relationships.push(rel);
    }
  }

  arrayOfSite(site: string): ArrayInfo {
    const a = this.arrays.find((x) => x.site === site);
    if (!a) throw new Error(`no array on site ${site}`);
    return a;
  }

  roleOf(array: ArrayInfo, unit: Unit): Role {
    const first = unit.members[0];
    return first && first.master === array ? 'master' : 'aux';
  }

  /** A relationship by id or name; ids are all digits, names never are. */
  relationship(ref: string): Relationship | undefined {
    return /^\d+$/.test(ref)
      ? this.relationships.find((r) => r.id === Number(ref))
      : this.relationships.find((r) => r.name === ref);
  }

  group(ref: string): Group | undefined {
    return /^\d+$/.test(ref)
      ? this.groups.find((g) => g.id === Number(ref))
      : this.groups.find((g) => g.name === ref);
  }

  /** The unit a control method names: a group, a relationship, or a relationship's datastore. */
  unitNamed(name: string): Unit {
    const g = this.groups.find((x) => x.name === name);
    if (g) return g.unit;
    const r = this.relationships.find((x) => x.name === name || x.datastore === name);
    if (!r) throw new Error(`no relationship, group or datastore named ${name}`);
    return r.unit;
  }

  units(): Unit[] {
    return [...new Set(this.relationships.map((r) => r.unit))];
  }

  /** Moves the background copy forward to `now`; copying ends in consistent_synchronized. */
  tick(unit: Unit, now: number): void {
    const elapsedMs = Math.max(0, now - unit.lastTick);
    unit.lastTick = now;
    const c = unit.core;
    if (c.halves || c.state !== 'inconsistent_copying' || !c.copy) return;
    const gb =
      this.timeScale <= 0
        ? Number.POSITIVE_INFINITY
        : (elapsedMs / 1_000 / this.timeScale) * COPY_GB_PER_SECOND;
    c.copy.doneGb = Math.min(c.copy.totalGb, c.copy.doneGb + gb);
    if (c.copy.doneGb >= c.copy.totalGb) {
      c.state = 'consistent_synchronized';
      c.synchronized = true;
      c.copy = null;
      c.freezeTime = null;
    }
  }

  tickAll(now: number): void {
    for (const u of this.units()) this.tick(u, now);
  }

  /** What one system reports for a unit. */
  view(unit: Unit, role: Role): UnitView {
    const c = unit.core;
    const percent = c.copy ? Math.floor((c.copy.doneGb / Math.max(c.copy.totalGb, 1e-9)) * 100) : null;
    if (unit.members.length === 0) {
      return { state: 'empty', primary: '', progress: null, sync: '', freezeTime: null, status: 'online' };
    }
    if (c.halves) {
      const h = c.halves[role];
      return {
        state: h.state,
        primary: h.primary ?? '',
        progress: h.state === 'inconsistent_disconnected' ? percent : null,
        sync: '',
        freezeTime: c.freezeTime,
        status: 'io_channel_offline',
      };
    }
    const copying = c.state === 'inconsistent_copying' || c.state === 'inconsistent_stopped';
    const stoppedOrIdle = c.state === 'consistent_stopped' || c.state === 'idling';
    return {
      state: c.state,
      primary: c.state === 'idling' || !c.primary ? '' : c.primary,
      // Blank once synchronized, as real systems show it.
      progress: copying ? (percent ?? 0) : null,
      sync: stoppedOrIdle ? (c.synchronized ? 'in_sync' : 'out_of_sync') : copying ? 'out_of_sync' : '',
      freezeTime: c.freezeTime,
      status: 'online',
    };
  }

  writableSites(unit: Unit, core: UnitCore = unit.core): string[] {
    const first = unit.members[0];
    if (!first) return [];
    return writableRoles(core).map((r) => (r === 'master' ? first.master.site : first.aux.site));
  }

  snapshot(rel: Relationship): SimRelationshipState {
    const half = (role: Role): SimHalfView => {
      const v = this.view(rel.unit, role);
      return { state: v.state, primary: v.primary, progress: v.progress };
    };
    return {
      name: rel.name,
      datastore: rel.datastore,
      consistencyGroup: rel.group?.name ?? null,
      masterSite: rel.master.site,
      auxSite: rel.aux.site,
      views: { master: half('master'), aux: half('aux') },
      writableSites: this.writableSites(rel.unit),
      linkDown: rel.unit.core.halves !== null,
      synchronized: rel.unit.core.synchronized,
    };
  }

  changedGb(unit: Unit): number {
    return unit.members.reduce((sum, r) => sum + r.changedGb, 0);
  }
}

function newUnit(name: string, now: number): Unit {
  return {
    name,
    core: {
      state: 'consistent_synchronized',
      primary: 'master',
      synchronized: true,
      copy: null,
      freezeTime: null,
      halves: null,
    },
    members: [],
    lastTick: now,
  };
}

/** Object names as the CLI accepts them (reference §1: letters, digits, _ - ., not starting with a digit or -). */
export function checkObjectRef(ref: string): void {
  if (/^\d+$/.test(ref)) return;
  if (!/^[A-Za-z_.][A-Za-z0-9_.-]{0,62}$/.test(ref)) throw new SimCliError('CMMVC5754E');
}
