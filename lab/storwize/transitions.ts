import { SimCliError } from './messages.js';
import type { ConnectedState, HalfState, Role } from './types.js';

// The remote-copy state machine of one copy unit (a stand-alone relationship, or a consistency
// group whose members always move together), as pure functions from one core to the next.
// Sources: the stop -access table of the SVC 5.1 docs, the start/switch rules of the 8.x CLI guide
// (reference §1.4–1.5), and the state descriptions of the IBM Redbooks for the disconnected halves.

export interface Half {
  state: HalfState;
  /** The role this half last knew as primary; null once it gained access on its own. */
  primary: Role | null;
}

export interface UnitCore {
  /** While connected; while disconnected, the state the unit had when the link went down. */
  state: ConnectedState;
  primary: Role | null;
  /** The secondary holds the same data as the primary (no host write since the freeze). */
  synchronized: boolean;
  copy: { totalGb: number; doneGb: number } | null;
  freezeTime: Date | null;
  /** What each system reports for its half while the link is down; null while connected. */
  halves: Record<Role, Half> | null;
}

export const other = (r: Role): Role => (r === 'master' ? 'aux' : 'master');

const wrongState = () => new SimCliError('CMMVC5982E');

export function stop(core: UnitCore, role: Role, access: boolean, now: Date): UnitCore {
  const next = structuredClone(core);
  if (next.halves) {
    const half = next.halves[role];
    if (half.state === 'idling_disconnected') return next;
    // Only a consistent secondary can be given access: this is the disaster-recovery path.
    if (!access || half.state === 'inconsistent_disconnected') throw wrongState();
    next.halves[role] = { state: 'idling_disconnected', primary: null };
    return next;
  }
  switch (next.state) {
    case 'consistent_synchronized':
      next.synchronized = true;
      next.freezeTime = now;
      if (access) {
        next.state = 'idling';
        next.primary = null;
      } else {
        next.state = 'consistent_stopped';
      }
      return next;
    case 'consistent_stopped':
      if (access) {
        next.state = 'idling';
        next.primary = null;
      }
      return next;
    case 'inconsistent_copying':
    case 'inconsistent_stopped':
      if (access) throw wrongState();
      next.state = 'inconsistent_stopped';
      return next;
    case 'idling':
      return next;
  }
}

export interface StartOptions {
  primary: Role | null;
  force: boolean;
  clean: boolean;
  /** What a full resync of the unit copies. */
  changedGb: number;
}

export function start(core: UnitCore, o: StartOptions): UnitCore {
  const next = structuredClone(core);
  if (next.halves) throw wrongState();
  if (next.state === 'idling') {
    if (!o.primary) throw new SimCliError('CMMVC5963E');
    next.primary = o.primary;
  } else {
    // In a connected, non-idling state the direction is fixed; -primary may only repeat it.
    if (o.primary && o.primary !== next.primary) throw wrongState();
    if (o.clean) throw wrongState();
  }
  switch (next.state) {
    case 'consistent_synchronized':
    case 'inconsistent_copying':
      return next;
    case 'inconsistent_stopped':
      next.state = 'inconsistent_copying';
      next.copy ??= { totalGb: o.changedGb, doneGb: 0 };
      return next;
    case 'consistent_stopped':
    case 'idling':
      if (o.clean || (next.synchronized && !o.force)) {
        next.state = 'consistent_synchronized';
        next.synchronized = true;
        next.freezeTime = null;
        next.copy = null;
        return next;
      }
      // Copying what changed makes the secondary inconsistent until the copy ends: only on request.
      // The lab cannot see host writes, so a forced start always resyncs the model's changedGb.
      if (!o.force) throw wrongState();
      next.state = 'inconsistent_copying';
      next.synchronized = false;
      next.copy = { totalGb: o.changedGb, doneGb: 0 };
      return next;
  }
}

export function switchTo(core: UnitCore, primary: Role): UnitCore {
  const next = structuredClone(core);
  if (next.halves) throw wrongState();
  const allowed =
    next.state === 'consistent_synchronized' ||
    ((next.state === 'consistent_stopped' || next.state === 'idling') && next.synchronized);
  if (!allowed) throw wrongState();
  next.state = 'consistent_synchronized';
  next.primary = primary;
  next.synchronized = true;
  next.freezeTime = null;
  next.copy = null;
  return next;
}

export function linkDown(core: UnitCore, now: Date): UnitCore {
  const next = structuredClone(core);
  if (next.halves) return next;
  const p = next.primary;
  if (next.state === 'idling' || !p) {
    next.halves = {
      master: { state: 'idling_disconnected', primary: null },
      aux: { state: 'idling_disconnected', primary: null },
    };
    return next;
  }
  const consistent = next.state === 'consistent_synchronized' || next.state === 'consistent_stopped';
  if (next.state === 'consistent_synchronized') next.freezeTime = now;
  const secondary: Half = {
    state: consistent ? 'consistent_disconnected' : 'inconsistent_disconnected',
    primary: p,
  };
  const primary: Half = { state: 'idling_disconnected', primary: p };
  next.halves = p === 'master' ? { master: primary, aux: secondary } : { master: secondary, aux: primary };
  return next;
}

export function linkUp(core: UnitCore): UnitCore {
  const next = structuredClone(core);
  const halves = next.halves;
  if (!halves) return next;
  next.halves = null;
  const p = next.primary;
  if (next.state === 'idling' || !p) return next;
  if (halves[other(p)].state === 'idling_disconnected') {
    // The secondary was given access while apart: both sides may have been written.
    next.state = 'idling';
    next.primary = null;
    next.synchronized = false;
    return next;
  }
  if (next.state === 'consistent_synchronized' || next.state === 'consistent_stopped') {
    // The link error stops the relationship; an operator restarts it (start, -force if written).
    next.state = 'consistent_stopped';
  }
  return next;
}

/** Host writes on the writable side(s) of a unit that is not replicating them. */
export function hostWrite(core: UnitCore): UnitCore {
  const next = structuredClone(core);
  const replicating =
    !next.halves && (next.state === 'consistent_synchronized' || next.state === 'inconsistent_copying');
  if (!replicating) next.synchronized = false;
  return next;
}

/** Roles whose volumes hosts can write. */
export function writableRoles(core: UnitCore): Role[] {
  if (core.halves) {
    const h = core.halves;
    return (['master', 'aux'] as const).filter((r) => h[r].state === 'idling_disconnected');
  }
  if (core.state === 'idling') return ['master', 'aux'];
  return core.primary ? [core.primary] : [];
}
