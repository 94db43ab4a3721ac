import type { LabModel } from '../model.js';

export interface ZertoSimOptions {
  model: LabModel;
  tls?: { certPem: string; keyPem: string };
  /** When given, moves and failovers recover the VPG's VMs in vcsim through its control API. */
  vcsim?: { controlUrl: string; caPem: string };
  /** 1 = real durations. */
  timeScale?: number;
  user: string;
  password: string;
  /** Keycloak confidential client for the client_credentials grant. */
  clientId: string;
  clientSecret: string;
  /** Site whose ZVM this is (GET /v1/localsite); default the model's second site. */
  site?: string;
  /** Keycloak access-token lifetime (expires_in), real seconds; default 60. */
  tokenLifetimeSec?: number;
  /** Idle lifetime of a v1 session token, real ms; default 30 minutes. */
  sessionIdleMs?: number;
  durations?: Partial<ZertoDurations>;
}

/** Durations in ms at time scale 1. */
export interface ZertoDurations {
  /** Shutting the protected VMs down before a move. */
  shutdown: number;
  /** Bringing the VMs up on the recovery site (to Before Commit). */
  recover: number;
  commit: number;
  rollback: number;
  /** Delta sync after reverse protection or a reconnection, to Meeting SLA. */
  deltaSync: number;
  failoverTest: number;
  failoverTestStop: number;
}

export interface ZertoRequest {
  method: string;
  path: string;
  status: number;
  auth: 'session' | 'bearer' | 'basic' | 'none';
  /** Token requests: grant type, scope and client id (never secrets). */
  grantType?: string;
  scope?: string;
  clientId?: string;
  /** JSON body of API calls. */
  body?: unknown;
}

export interface ZertoVpgView {
  name: string;
  protectedSite: string;
  recoverySite: string;
  status: number;
  subStatus: number;
  testRunning: boolean;
  /** `<ISO time> Succeeded|Failed: <summary>` of the last stopped failover test, null before any. */
  lastTest: string | null;
}

export interface ZertoControl {
  /** The next action's task fails (State 4) with this reason; the VPG goes back to where it was. */
  failNextTask(reason?: string): void;
  /** The ZVMs lose each other: VPGs go DisconnectedFromPeer and the RPO grows. */
  disconnectPeer(): void;
  /** The peer is back: VPGs delta-sync, then meet their SLA again. */
  reconnectPeer(): void;
  /** Every session and access token becomes invalid (refresh tokens too). */
  expireTokens(): void;
  setDurations(d: Partial<ZertoDurations>): void;
  setTimeScale(scale: number): void;
  vpg(name: string): ZertoVpgView;
  /** Where the stand-in believes each VM of the VPG runs. */
  vmPlacement(
    name: string,
  ): Array<{ vm: string; host: string; datastore: string; site: string; powerOn: boolean }>;
  readonly requests: ZertoRequest[];
  clearRequests(): void;
  /** Calls made to vcsim's control API, in order. */
  readonly vcsimCalls: Array<{ path: string; body: unknown }>;
}

export interface ZertoSim {
  url: string;
  port: number;
  /** Site identifiers, so tests can assert on ProtectedSite/RecoverySite. */
  siteIds: Record<string, string>;
  control: ZertoControl;
  stop(): Promise<void>;
}
