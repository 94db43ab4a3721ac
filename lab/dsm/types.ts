import type { LabModel } from '../model.js';

export interface DsmSimOptions {
  model: LabModel;
  /** HTTPS with this certificate; plain HTTP without (only for quick local poking). */
  tls?: { certPem: string; keyPem: string };
  /** Accepted for the common stand-in shape; Live Volume datastores are mounted on both sites already. */
  vcsim?: { controlUrl: string; caPem: string };
  /** 1 = real durations. */
  timeScale?: number;
  user: string;
  password: string;
  /** REST versions the Data Collector accepts, as "major.minor"; default ["2.0", "4.1"]. */
  apiVersionRange?: [string, string];
  durations?: Partial<DsmDurations>;
}

/** Durations in ms at time scale 1. */
export interface DsmDurations {
  /** From an async call's 202 to its AsyncTask resolving. */
  asyncAccept: number;
  /** From SwapRoles accepted to both Storage Centers having changed roles. */
  swap: number;
  /** Resync time per GB changed while the link was down. */
  resyncPerGb: number;
}

export interface DsmRequest {
  method: string;
  /** Path under /api/rest/, without the query string. */
  path: string;
  status: number;
  async: boolean;
  /** x-dell-api-version sent with the request. */
  apiVersion: string | undefined;
}

export interface DsmStorageCenter {
  name: string;
  serial: number;
  site: string;
}

export interface DsmControl {
  /** Replication link down for one Live Volume (by instance name or datastore), or all of them. */
  linkDown(liveVolume?: string): void;
  /** Link back; the Live Volume resyncs what changed, then is Current again. */
  linkUp(liveVolume?: string): void;
  /** The primary Storage Center fails and the tiebreaker lets the secondary activate. */
  activateSecondary(liveVolume: string): void;
  /** The failed primary comes back; automatic restore keeps the activated side as primary. */
  restorePrimary(liveVolume: string): void;
  /** The next SwapRoles is accepted, then its AsyncTask ends in an error; nothing changes. */
  failNextSwap(message?: string): void;
  /** While held, role swaps stay in progress (swappingRoles true) until released. */
  holdSwaps(hold: boolean): void;
  setDurations(d: Partial<DsmDurations>): void;
  setTimeScale(scale: number): void;
  /** Every session cookie becomes invalid: the next call gets 401. */
  expireSessions(): void;
  /** The object GET StorageCenter/ScLiveVolume/{id} returns, by instance name or datastore. */
  liveVolume(name: string): Record<string, unknown>;
  /** Every request served, oldest first. */
  readonly requests: DsmRequest[];
  clearRequests(): void;
}

export interface DsmSim {
  url: string;
  port: number;
  storageCenters: DsmStorageCenter[];
  control: DsmControl;
  stop(): Promise<void>;
}
