import type { ReplicationHealth, ReplicationStatus } from '../../domain/replication.js';
import type { RcState, RcView, Role } from './types.js';

// Storwize states in the domain's words (reference §1.4). The raw state is kept for the operator.

const health: Record<RcState, ReplicationHealth> = {
  consistent_synchronized: 'in-sync',
  inconsistent_copying: 'copying',
  consistent_copying: 'copying',
  consistent_stopped: 'stopped',
  inconsistent_stopped: 'stopped',
  idling: 'idling',
  idling_disconnected: 'disconnected',
  consistent_disconnected: 'disconnected',
  inconsistent_disconnected: 'disconnected',
  empty: 'error',
};

export function healthOf(state: RcState): ReplicationHealth {
  return health[state];
}

export function siteOfRole(view: Pick<RcView, 'masterSite' | 'auxSite'>, role: Role): string {
  return role === 'master' ? view.masterSite : view.auxSite;
}

export function roleOfSite(view: Pick<RcView, 'masterSite' | 'auxSite'>, site: string): Role | null {
  if (site === view.masterSite) return 'master';
  if (site === view.auxSite) return 'aux';
  return null;
}

export function isCopying(state: RcState): boolean {
  return state === 'inconsistent_copying' || state === 'consistent_copying';
}

export function toStatus(unitId: string, view: RcView): ReplicationStatus {
  const h = healthOf(view.state);
  return {
    unitId,
    primarySite: view.primary ? siteOfRole(view, view.primary) : null,
    health: h,
    progressPercent: h === 'copying' ? (view.progress ?? 0) : null,
    // The CLI reports no lag for Global Mirror without change volumes.
    lagSeconds: null,
    raw: view.state,
  };
}
