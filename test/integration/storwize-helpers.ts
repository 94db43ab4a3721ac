import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, ClientChannel } from 'ssh2';
import ssh2 from 'ssh2';
import { buildLabModel, type LabModel } from '../../lab/model.js';
import type { StorwizeSim } from '../../lab/storwize/index.js';
import type { StorwizeArrayConfig } from '../../src/config/schema.js';
import type { ProtectedUnit } from '../../src/domain/replication.js';

// Shared by the Storwize stand-in and adapter tests: the lab model they use, a bare SSH client
// that shows exactly what the array answers, and the adapter configuration for a running sim.

export const USER = 'bascule';
export const PASSWORD = 'lab-password';

/**
 * The 16-datastore lab with small resyncs (4 GB: 0.4 s at time scale 0.01; 10 GB for
 * SAN-SITE5-PROD-01, whose copy progress tests watch, so a loaded machine still sees it move), a
 * consistency group of two relationships, and one huge resync that never ends during a test.
 */
export function testModel(): LabModel {
  const model = buildLabModel({ datastores: 16 });
  for (const ds of model.datastores) {
    if (ds.method !== 'storwize') continue;
    ds.changedGb = 4;
    if (ds.name === 'SAN-SITE5-PROD-04') ds.consistencyGroup = 'cg_san_site5_prod_02';
    if (ds.name === 'SAN-SITE5-PROD-01') ds.changedGb = 10;
    if (ds.name === 'SAN-LOGNES-PROD-05') ds.changedGb = 1_000_000;
  }
  return model;
}

export function unitOf(
  model: LabModel,
  datastore: string,
  kind: 'relationship' | 'consistency-group',
): ProtectedUnit {
  const ds = model.datastores.find((d) => d.name === datastore);
  if (!ds?.relationship) throw new Error(`no Storwize datastore ${datastore}`);
  const peer = model.sites.find((s) => s !== ds.site) as string;
  const name = kind === 'relationship' ? ds.relationship : (ds.consistencyGroup as string);
  return {
    id: ds.name,
    method: 'storwize',
    homeSite: ds.site,
    peerSite: peer,
    datastores: [ds.name],
    array: `v7000-${ds.site}`,
    ref: { kind, name },
  };
}

export function arrayConfigs(sim: StorwizeSim): StorwizeArrayConfig[] {
  return sim.arrays.map((a) => ({
    name: a.name,
    type: 'storwize' as const,
    site: a.site,
    host: '127.0.0.1',
    port: a.port,
    user: USER,
    passwordEnv: 'STORWIZE_PASSWORD',
    hostKeySha256: a.hostKeySha256,
    partner: sim.arrays.find((b) => b !== a)?.name,
    maxConcurrentCommands: 4,
  }));
}

export interface CliAnswer {
  stdout: string;
  stderr: string;
  /** null when the connection died before an exit status came. */
  code: number | null;
}

/** A plain SSH client, without any of the adapter's logic. */
export class Cli {
  private constructor(private readonly client: Client) {}

  static open(
    port: number,
    auth: { password?: string; privateKey?: string; username?: string } = { password: PASSWORD },
  ) {
    return new Promise<Cli>((resolve, reject) => {
      const client = new ssh2.Client();
      let ready = false;
      client.once('ready', () => {
        ready = true;
        client.setNoDelay(true);
        resolve(new Cli(client));
      });
      // After login, resets are what the fault-injection tests cause; the exec shows them.
      client.on('error', (err) => {
        if (!ready) reject(err);
      });
      client.connect({
        host: '127.0.0.1',
        port,
        username: auth.username ?? USER,
        ...auth,
        hostVerifier: () => true,
      });
    });
  }

  run(command: string): Promise<CliAnswer> {
    return new Promise((resolve, reject) => {
      this.client.exec(command, (err, ch: ClientChannel) => {
        if (err) return reject(err);
        let stdout = '';
        let stderr = '';
        let code: number | null = null;
        ch.on('data', (d: Buffer) => {
          stdout += d.toString();
        });
        ch.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
        });
        ch.on('exit', (c: number | null) => {
          code = c;
        });
        ch.on('close', () => resolve({ stdout, stderr, code }));
      });
    });
  }

  /** Asks for a pseudo-terminal with the command; resolves with the refusal. */
  runWithPty(command: string): Promise<Error> {
    return new Promise((resolve, reject) => {
      this.client.exec(command, { pty: true }, (err, ch) => {
        if (err) return resolve(err);
        ch.close();
        reject(new Error('a pseudo-terminal was granted'));
      });
    });
  }

  /** Requests an interactive shell and returns what the server says. */
  shell(): Promise<CliAnswer> {
    return new Promise((resolve, reject) => {
      this.client.shell(false, (err, ch) => {
        if (err) return reject(err);
        let stdout = '';
        let stderr = '';
        let code: number | null = null;
        ch.on('data', (d: Buffer) => {
          stdout += d.toString();
        });
        ch.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
        });
        ch.on('exit', (c: number | null) => {
          code = c;
        });
        ch.on('close', () => resolve({ stdout, stderr, code }));
      });
    });
  }

  close(): void {
    this.client.end();
  }
}

/** Key/value lines of a detailed view printed with `-delim :`. */
export function detail(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]),
  );
}

/** Polls until `check` holds; the test's own timeout bounds the wait. */
export async function until(check: () => boolean | Promise<boolean>, everyMs = 20): Promise<void> {
  while (!(await check())) await sleep(everyMs);
}
