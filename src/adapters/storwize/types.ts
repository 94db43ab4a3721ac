import type { StorwizeArrayConfig } from '../../config/schema.js';
import type { rcStates } from './schema.js';

export type RcState = (typeof rcStates)[number];
export type Role = 'master' | 'aux';

/** Login secret for one array, read from the environment by the caller, never by the adapter. */
export interface StorwizeSecret {
  password?: string;
  /** OpenSSH or PEM private key text. */
  privateKey?: string;
  passphrase?: string;
}

export interface StorwizeTimings {
  /** Between two reads while waiting for a copy or a switch to show. */
  pollIntervalMs: number;
  /** One CLI command, from exec to exit status. */
  commandTimeoutMs: number;
  /** TCP connect, SSH handshake and login. */
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  /** Limit for an action when the caller gives no timeoutMs. */
  actionTimeoutMs: number;
}

export interface StorwizeAdapterOptions {
  /** Both arrays of each partnership (one per site). */
  arrays: readonly StorwizeArrayConfig[];
  /** By array name. */
  secrets: Readonly<Record<string, StorwizeSecret>>;
  timings?: Partial<StorwizeTimings>;
}

/** The shared resync options: `primarySite` picks the copy to keep for an idling unit. */
export type { ResyncOptions } from '../replication/types.js';

/** One read of a relationship or consistency group, as one array reports it. */
export interface RcView {
  /** Array that answered, and its site. */
  array: string;
  site: string;
  kind: 'relationship' | 'consistency-group';
  name: string;
  state: RcState;
  primary: Role | null;
  inSync: boolean;
  /** The `status` attribute is online. */
  online: boolean;
  /** The `status` attribute as the array prints it. */
  status: string;
  progress: number | null;
  masterSite: string;
  auxSite: string;
  /** For a relationship: the group it belongs to, if any. */
  consistencyGroup: string | null;
}
