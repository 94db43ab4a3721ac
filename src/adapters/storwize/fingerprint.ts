import { createHash } from 'node:crypto';

/** OpenSSH's form of a host key fingerprint: `SHA256:` + base64 of the key blob's SHA-256, unpadded. */
export function sshFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** Pinned fingerprints may be written with the base64 padding; compare without it. */
export function sameFingerprint(a: string, b: string): boolean {
  return a.replace(/=+$/, '') === b.replace(/=+$/, '');
}
