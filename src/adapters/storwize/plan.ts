import type { RcState, Role } from './types.js';

// What to do next, as a pure function of one read of the unit. The adapter reads, plans one step,
// runs it, and reads again, so a re-run after a crash (or after a connection lost under a
// command) picks up from whatever the array now shows, never repeating or skipping a step blindly.
// Rules from reference §1.5: switch only when synchronized; stop -access only on a consistent
// secondary; start needs -force when it would make the secondary inconsistent.

export type Step =
  | { verb: 'switch'; primary: Role }
  | { verb: 'stop-access' }
  | { verb: 'start'; primary: Role; force: boolean };

export type Decision =
  | { kind: 'done' }
  | { kind: 'wait' }
  | { kind: 'act'; step: Step }
  | { kind: 'refuse'; code: 'STORWIZE_WRONG_STATE' | 'STORWIZE_DISCONNECTED'; reason: string; hint: string };

export interface PlanInput {
  state: RcState;
  primary: Role | null;
  inSync: boolean;
  /** `status` is online (reference §1.6: checked before a planned switch); true when not given. */
  online?: boolean;
}

const done: Decision = { kind: 'done' };
const wait: Decision = { kind: 'wait' };
const act = (step: Step): Decision => ({ kind: 'act', step });

function isDisconnected(s: RcState): boolean {
  return s === 'idling_disconnected' || s === 'consistent_disconnected' || s === 'inconsistent_disconnected';
}

function disconnected(hint: string): Decision {
  return {
    kind: 'refuse',
    code: 'STORWIZE_DISCONNECTED',
    reason: 'the link between the two arrays is down',
    hint,
  };
}

function refuse(reason: string, hint: string): Decision {
  return { kind: 'refuse', code: 'STORWIZE_WRONG_STATE', reason, hint };
}

const forceHint =
  'Wait until the unit is consistent_synchronized (bascule resync), then switch; or, accepting the loss of ' +
  'the writes not yet copied, run the switchover again with force.';

/** Planned move: `to` primary, replicating, in sync. */
export function planSwitchover(v: PlanInput, to: Role, allowForce: boolean): Decision {
  if (isDisconnected(v.state)) {
    return disconnected(
      'A planned switchover needs the link. Restore it, or use failover if the source site is lost.',
    );
  }
  if (v.online === false && !(v.state === 'consistent_synchronized' && v.primary === to)) {
    return refuse(
      'its status is not online',
      'Check the event log of both arrays (offline volume or change volume needed), fix it, then run again.',
    );
  }
  switch (v.state) {
    case 'consistent_synchronized':
      return v.primary === to ? done : act({ verb: 'switch', primary: to });
    case 'inconsistent_copying':
    case 'consistent_copying':
      if (v.primary === to) return wait;
      // A change-volume image on `to` is consistent but old: usable only by explicit choice.
      if (v.state === 'consistent_copying' && allowForce) return act({ verb: 'stop-access' });
      return refuse('the copy toward the target site has not finished', forceHint);
    case 'consistent_stopped':
      if (v.primary === to) return act({ verb: 'start', primary: to, force: !v.inSync });
      if (v.inSync) return act({ verb: 'switch', primary: to });
      return allowForce
        ? act({ verb: 'stop-access' })
        : refuse('stopped with writes not copied to the target site', forceHint);
    case 'inconsistent_stopped':
      if (v.primary === to) return act({ verb: 'start', primary: to, force: false });
      return refuse(
        'the replica on the target site is inconsistent',
        'Restart the copy from the current primary (bascule resync) and switch once it is consistent_synchronized.',
      );
    case 'idling':
      if (v.inSync) return act({ verb: 'switch', primary: to });
      return allowForce
        ? act({ verb: 'start', primary: to, force: true })
        : refuse('both sides were written while idling', forceHint);
    default:
      return refuse(
        'the consistency group has no relationships',
        'Add the relationships to the group on the array.',
      );
  }
}

/** Unplanned: make `to`'s copy writable, without the other site. */
export function planFailover(v: PlanInput, to: Role): Decision {
  switch (v.state) {
    case 'idling':
    case 'idling_disconnected':
      return done;
    case 'consistent_synchronized':
    case 'consistent_stopped':
    case 'consistent_copying':
    case 'consistent_disconnected':
      return v.primary === to ? done : act({ verb: 'stop-access' });
    case 'inconsistent_copying':
    case 'inconsistent_stopped':
      if (v.primary === to) return done;
      return refuse(
        'the replica on the target site is inconsistent (a copy was running) and cannot be made writable',
        'Bring the source site back; its copy is the only consistent one.',
      );
    case 'inconsistent_disconnected':
      return refuse(
        'the replica on the target site is inconsistent (the link dropped during a copy) and cannot be made writable',
        'Bring the source site back; its copy is the only consistent one.',
      );
    default:
      return refuse(
        'the consistency group has no relationships',
        'Add the relationships to the group on the array.',
      );
  }
}

/** Copy from the current primary (or `preferred` when idling) until consistent_synchronized. */
export function planResync(v: PlanInput, preferred: Role | null): Decision {
  if (isDisconnected(v.state)) {
    return disconnected('Restore the link between the arrays (partnership), then run resync again.');
  }
  switch (v.state) {
    case 'consistent_synchronized':
      return done;
    case 'inconsistent_copying':
    case 'consistent_copying':
      return wait;
    case 'consistent_stopped':
    case 'inconsistent_stopped':
      if (!v.primary) return refuse('no primary is defined', 'Check the unit on the array.');
      if (preferred && preferred !== v.primary) {
        return refuse(
          'the requested copy direction is not the current one',
          'Use switchover to change direction.',
        );
      }
      return act({ verb: 'start', primary: v.primary, force: v.state === 'consistent_stopped' && !v.inSync });
    case 'idling':
      if (!preferred) {
        return refuse(
          'no copy direction is defined (idling: both sides writable)',
          'Say which site holds the data to keep (the one serving the VMs) and run resync with that site.',
        );
      }
      return act({ verb: 'start', primary: preferred, force: !v.inSync });
    default:
      return refuse(
        'the consistency group has no relationships',
        'Add the relationships to the group on the array.',
      );
  }
}
