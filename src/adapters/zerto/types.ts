import type { ZertoConfig } from '../../config/schema.js';

export interface ZertoCredentials {
  /** v1 session (Basic) and Keycloak password grant. */
  user?: string;
  password?: string;
  /** Keycloak confidential client for client_credentials, preferred over the password grant. */
  clientId?: string;
  clientSecret?: string;
}

export interface ZertoAdapterOptions {
  config: ZertoConfig;
  credentials: ZertoCredentials;
  /** PEM of the CA to trust; default: read config.caFile, else the system store. */
  ca?: string;
  /** Task and VPG polling interval; default 5 s. */
  pollIntervalMs?: number;
  /** Per-request limit for headers and body; default 30 s. */
  requestTimeoutMs?: number;
  /** Clock for token lifetimes (tests move it forward instead of waiting). */
  now?: () => number;
}
