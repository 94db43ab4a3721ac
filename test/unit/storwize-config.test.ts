import { describe, expect, it } from 'vitest';
import { ed25519KeyPair } from '../../lab/storwize/index.js';
import { createStorwizeAdapter, StorwizeError, storwizeSecrets } from '../../src/adapters/storwize/index.js';
import type { StorwizeArrayConfig } from '../../src/config/schema.js';
import type { ProtectedUnit } from '../../src/domain/replication.js';

// Building the adapter from sites.yaml's arrays and the secrets the caller read: refused early,
// before any connection, when something is missing or wrong.

const arrays: StorwizeArrayConfig[] = [
  {
    name: 'v7000-site5',
    type: 'storwize',
    site: 'site5',
    host: 'v7000-site5.example.edu',
    port: 22,
    user: 'bascule',
    privateKeyEnv: 'SW5_KEY',
    passwordEnv: 'SW5_PASSWORD',
    hostKeySha256: 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8',
    partner: 'v7000-lognes',
    maxConcurrentCommands: 4,
  },
  {
    name: 'v7000-lognes',
    type: 'storwize',
    site: 'lognes',
    host: 'v7000-lognes.example.edu',
    port: 22,
    user: 'bascule',
    passwordEnv: 'SWL_PASSWORD',
    hostKeySha256: 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU',
    maxConcurrentCommands: 4,
  },
];

const unit: ProtectedUnit = {
  id: 'SAN5-PROD-01',
  method: 'storwize',
  homeSite: 'site5',
  peerSite: 'lognes',
  datastores: ['SAN5-PROD-01'],
  array: 'v7000-site5',
  ref: { kind: 'relationship', name: 'rc_prod01' },
};

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'resolved',
    (e: unknown) => (e instanceof StorwizeError ? e.code : String(e)),
  );
}

describe('storwizeSecrets', () => {
  it('takes the key when set, else the password, from the env object given', () => {
    const key = ed25519KeyPair().private;
    expect(storwizeSecrets(arrays, { SW5_KEY: key, SW5_PASSWORD: 'p5', SWL_PASSWORD: 'pl' })).toEqual({
      'v7000-site5': { privateKey: key },
      'v7000-lognes': { password: 'pl' },
    });
    expect(storwizeSecrets(arrays, { SW5_PASSWORD: 'p5', SWL_PASSWORD: 'pl' })['v7000-site5']).toEqual({
      password: 'p5',
    });
  });

  it('names the variables to set, never a value', () => {
    let err: unknown;
    try {
      storwizeSecrets(arrays, { SW5_PASSWORD: 'p5' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StorwizeError);
    expect((err as StorwizeError).code).toBe('STORWIZE_CONFIG');
    expect((err as StorwizeError).hint).toContain('SWL_PASSWORD');
    expect((err as StorwizeError).toUserText()).not.toContain('p5');
  });
});

describe('createStorwizeAdapter', () => {
  it('refuses an array without a secret, or with a key it cannot read', () => {
    expect(() => createStorwizeAdapter({ arrays, secrets: { 'v7000-site5': { password: 'x' } } })).toThrow(
      /no password or private key given for Storwize array v7000-lognes/,
    );
    expect(() =>
      createStorwizeAdapter({
        arrays,
        secrets: { 'v7000-site5': { privateKey: 'not a key' }, 'v7000-lognes': { password: 'x' } },
      }),
    ).toThrow(/private key for Storwize array v7000-site5 cannot be read/);
  });

  it('refuses units it cannot place, before connecting anywhere', async () => {
    const adapter = createStorwizeAdapter({
      arrays,
      secrets: { 'v7000-site5': { password: 'x' }, 'v7000-lognes': { password: 'y' } },
    });
    try {
      expect(await code(adapter.status({ ...unit, array: 'v7000-nowhere' }))).toBe('STORWIZE_CONFIG');
      expect(
        await code(adapter.status({ ...unit, method: 'zerto', ref: { kind: 'vpg', name: 'VPG-1' } })),
      ).toBe('STORWIZE_CONFIG');
      expect(await code(adapter.switchover(unit, 'paris'))).toBe('STORWIZE_CONFIG');
      expect(
        await code(adapter.failover({ ...unit, ref: { kind: 'relationship', name: 'rc 1' } }, 'lognes')),
      ).toBe('STORWIZE_INVALID_NAME');
      const alone = createStorwizeAdapter({
        arrays: [arrays[0] as StorwizeArrayConfig],
        secrets: { 'v7000-site5': { password: 'x' } },
      });
      expect(await code(alone.status(unit))).toBe('STORWIZE_CONFIG');
      await alone.close();
    } finally {
      await adapter.close();
    }
  });
});
