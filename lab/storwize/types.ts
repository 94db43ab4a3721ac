import type { LabModel } from '../model.js';

export interface StorwizeSimOptions {
  model: LabModel;
  /** Accepted for the common stand-in shape; the arrays speak SSH, not HTTPS. */
  tls?: { certPem: string; keyPem: string };
  /** vcsim's control API: told when a replica becomes (or stops being) writable on a site. */
  vcsim?: { controlUrl: string; caPem: string };
  /** 1 = real durations (a 20 GB resync takes about 3.5 minutes). */
  timeScale?: number;
  user: string;
  password: string;
  /** OpenSSH public key line accepted for `user`, besides the password. */
  publicKey?: string;
  /** Host key shared by both arrays; without it each array gets its own ed25519 key. */
  hostKeyPem?: string;
}

export type Role = 'master' | 'aux';

/** States of a connected relationship (both systems see the same one). */
export type ConnectedState =
  | 'inconsistent_stopped'
  | 'inconsistent_copying'
  | 'consistent_stopped'
  | 'consistent_synchronized'
  | 'idling';

/** States one system shows for its half while the partnership link is down. */
export type HalfState = 'idling_disconnected' | 'consistent_disconnected' | 'inconsistent_disconnected';

export type RcState = ConnectedState | HalfState | 'empty';

export interface SimArray {
  name: string;
  site: string;
  port: number;
  /** OpenSSH format, `SHA256:` + base64 without padding. */
  hostKeySha256: string;
}

export interface SimCommand {
  array: string;
  /** The exec request's command line, as received. */
  command: string;
  /** Command name without the svcinfo/svctask prefix, '' when the line did not parse. */
  verb: string;
  at: string;
  /** Exit status sent back, 'dropped' when the connection was cut instead, 'pending' while running. */
  outcome: number | 'dropped' | 'pending';
}

export interface SimHalfView {
  state: RcState;
  primary: Role | '';
  progress: number | null;
}

export interface SimRelationshipState {
  name: string;
  datastore: string;
  consistencyGroup: string | null;
  masterSite: string;
  auxSite: string;
  /** What each array reports; the two differ only while the link is down. */
  views: Record<Role, SimHalfView>;
  /** Sites where hosts can write the relationship's volumes right now. */
  writableSites: string[];
  linkDown: boolean;
  synchronized: boolean;
}

export interface SimState {
  relationships: SimRelationshipState[];
  /** vcsim calls made, oldest first (also recorded when no vcsim is configured). */
  presentations: Array<{ action: 'present' | 'unpresent'; datastore: string; site: string }>;
}

export interface DropOptions {
  /** Only on this array; both when omitted. */
  array?: string;
  /** Only commands with this name (svcinfo/svctask prefix ignored); any command when omitted. */
  verb?: string;
  /**
   * 'after' (default): the command takes effect, then the connection is cut before the exit status,
   * the case where a client cannot know whether its action happened. 'before': cut, nothing done.
   */
  when?: 'before' | 'after';
}

/**
 * Fault injection and inspection for tests; not reachable over SSH. Changes apply at once: make
 * them between commands, not while a command waits on vcsim (it would overwrite them).
 */
export interface StorwizeControl {
  /** Cut the SSH connection carrying each of the next `count` commands. */
  dropConnections(count: number, options?: DropOptions): void;
  /** Partnership link down (or back) for one relationship or group, or for all of them. */
  setLinkDown(down: boolean, target?: string): void;
  /** Hosts write to the writable side(s): a stopped or idling unit is no longer synchronized. */
  hostWrite(target: string): void;
  /** Every command waits this long before running (0 to stop). */
  setCommandDelay(ms: number): void;
  state(): SimState;
  relationship(name: string): SimRelationshipState;
  commands(): SimCommand[];
  clearCommands(): void;
  /** SSH logins, and the most commands seen running at once, per array since the last reset. */
  stats(): SimStats;
  resetStats(): void;
}

export interface SimStats {
  logins: Record<string, number>;
  peakConcurrentCommands: Record<string, number>;
}

export interface StorwizeSim {
  arrays: SimArray[];
  control: StorwizeControl;
  stop(): Promise<void>;
}
