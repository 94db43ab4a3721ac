import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateLabCerts } from '../../lab/vcsim/index.js';

// A lab CA and a server certificate for 127.0.0.1, made the way the lab makes them
// (`vcsim --gen-certs`), so HTTPS stand-ins are tested with verification on. A second, unrelated
// lab CA lets tests check that a client trusting the wrong CA is refused.

export interface TestCerts {
  dir: string;
  caPem: string;
  certPem: string;
  keyPem: string;
  /** A CA that did not sign the server certificate. */
  otherCaPem: string;
  cleanup(): Promise<void>;
}

export async function makeTestCerts(): Promise<TestCerts> {
  const dir = await mkdtemp(join(tmpdir(), 'bascule-certs-'));
  try {
    const [lab, other] = await Promise.all([
      generateLabCerts(join(dir, 'lab')),
      generateLabCerts(join(dir, 'other')),
    ]);
    const [caPem, certPem, keyPem, otherCaPem] = await Promise.all(
      [lab.caPath, lab.certPath, lab.keyPath, other.caPath].map((f) => readFile(f, 'utf8')),
    );
    return {
      dir,
      caPem: caPem as string,
      certPem: certPem as string,
      keyPem: keyPem as string,
      otherCaPem: otherCaPem as string,
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
