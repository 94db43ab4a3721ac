// Replication as the domain sees it, whatever system does it (Storwize remote copy, Dell Live
// Volume, Zerto). Adapters translate their own states into these; the raw state is kept for the
// operator, because "consistent_disconnected" tells a storage admin more than "disconnected".

export type ReplicationMethod = 'storwize' | 'live-volume' | 'zerto';

export type ReplicationHealth = 'in-sync' | 'copying' | 'stopped' | 'idling' | 'disconnected' | 'error';

/** A unit that moves as one: a replicated datastore (or consistency group), a Live Volume, a VPG. */
export interface ProtectedUnit {
  /** Stable id: the datastore name, or the VPG name for Zerto. */
  id: string;
  method: ReplicationMethod;
  /** Site where the unit normally runs (primary before any move). */
  homeSite: string;
  /** The other site. */
  peerSite: string;
  /** Datastore names the unit carries (one for storwize/live-volume; the VPG's datastores for Zerto). */
  datastores: string[];
  /** Name of the array or replication manager in the topology. */
  array: string;
  /** System-side object the unit maps to. */
  ref:
    | { kind: 'relationship'; name: string }
    | { kind: 'consistency-group'; name: string }
    | { kind: 'live-volume'; name: string }
    | { kind: 'vpg'; name: string };
}

export interface ReplicationStatus {
  unitId: string;
  /** Site currently primary (writable, serving I/O); null when no direction is defined (idling). */
  primarySite: string | null;
  health: ReplicationHealth;
  /** Copy progress 0–100 while copying. */
  progressPercent: number | null;
  /** Replication lag / actual RPO in seconds, where the system reports it. */
  lagSeconds: number | null;
  /** The system's own state text, for the operator. */
  raw: string;
}
