import type { Client, ClientChannel, ConnectConfig } from 'ssh2';
import ssh2 from 'ssh2';
import { cliFailure } from './cli-failure.js';
import { aborted, StorwizeError, unexpectedOutput } from './errors.js';
import { sameFingerprint, sshFingerprint } from './fingerprint.js';
import { commandLine } from './names.js';
import { parseDetailed } from './parse.js';
import { type SystemRecord, toSystem } from './schema.js';
import { Semaphore } from './semaphore.js';

// One SSH connection to one array, opened on first use, kept alive and reused; one command per
// exec request, as the array's CLI expects; at most `maxConcurrentCommands` at once. When the
// connection drops under a command, a read is sent again once on a new connection; a command that
// changes state is not: the caller reads the state back and decides (it may have run).

export interface ConnectionTarget {
  array: string;
  site: string;
  host: string;
  port: number;
  user: string;
  hostKeySha256: string;
  password?: string;
  privateKey?: string;
  passphrase?: string;
  maxConcurrentCommands: number;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  keepaliveIntervalMs: number;
}

export type CommandMode = 'read' | 'write';

interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

export class StorwizeConnection {
  private client: Client | null = null;
  private connecting: Promise<Client> | null = null;
  private readonly limiter: Semaphore;
  private system: Promise<SystemRecord> | null = null;
  private closed = false;

  constructor(readonly target: ConnectionTarget) {
    this.limiter = new Semaphore(target.maxConcurrentCommands);
  }

  get array(): string {
    return this.target.array;
  }

  get site(): string {
    return this.target.site;
  }

  /** Runs one command and returns its stdout; a failed command becomes a typed error. */
  async run(argv: readonly string[], mode: CommandMode, signal?: AbortSignal): Promise<string> {
    const line = commandLine(argv);
    const release = await this.limiter.acquire(signal);
    try {
      try {
        return await this.attempt(argv, line, mode, signal);
      } catch (err) {
        if (mode === 'read' && err instanceof StorwizeError && err.code === 'STORWIZE_CONNECTION_LOST') {
          return await this.attempt(argv, line, mode, signal);
        }
        throw err;
      }
    } finally {
      release();
    }
  }

  /** The array's own cluster id and name, read once per adapter. */
  identity(signal?: AbortSignal): Promise<SystemRecord> {
    if (this.system) return this.system;
    const p = this.run(['svcinfo', 'lssystem', '-delim', ':'], 'read', signal).then((out) =>
      toSystem(parseDetailed(out, ':', this.array), this.array),
    );
    this.system = p;
    // A failed read is not kept: the next call tries again.
    p.catch(() => {
      if (this.system === p) this.system = null;
    });
    return p;
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = this.client;
    this.client = null;
    if (!c) return;
    await new Promise<void>((resolve) => {
      // A polite end, and a hard one if the peer does not answer it.
      const hard = setTimeout(() => c.destroy(), 2_000);
      c.once('close', () => {
        clearTimeout(hard);
        resolve();
      });
      c.end();
    });
  }

  private async attempt(
    argv: readonly string[],
    line: string,
    mode: CommandMode,
    signal?: AbortSignal,
  ): Promise<string> {
    if (signal?.aborted) throw aborted();
    const client = await this.connect();
    let result: ExecResult;
    try {
      result = await this.exec(client, line, argv);
    } catch (err) {
      // Never reuse a connection a command was lost on; the next attempt opens a new one.
      if (err instanceof StorwizeError && err.code === 'STORWIZE_CONNECTION_LOST') this.discard(client);
      throw err;
    }
    if (result.code !== 0) throw cliFailure(this.array, argv, result.code, result.stderr);
    // Action commands print nothing when they work (reference §1.1); anything else is suspect.
    if (mode === 'write' && result.stdout.trim() !== '') {
      throw unexpectedOutput(this.array, `${argv[1] ?? argv[0]} printed output`, result.stdout);
    }
    return result.stdout;
  }

  private discard(client: Client): void {
    if (this.client === client) this.client = null;
    client.destroy();
  }

  private connect(): Promise<Client> {
    if (this.closed) {
      return Promise.reject(new StorwizeError('STORWIZE_CONFIG', `${this.array}: the adapter was closed`));
    }
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.open().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private open(): Promise<Client> {
    const t = this.target;
    return new Promise<Client>((resolve, reject) => {
      const client = new ssh2.Client();
      let seenKey: string | null = null;
      let ready = false;
      client.on('ready', () => {
        ready = true;
        // CLI exchanges are a few small packets each: Nagle's delay would dominate them.
        client.setNoDelay(true);
        this.client = client;
        resolve(client);
      });
      client.on('error', (err: Error & { level?: string }) => {
        if (!ready) reject(this.connectError(err, seenKey));
        // After login, errors are followed by 'close', which fails the commands in flight.
      });
      client.on('close', () => {
        if (this.client === client) this.client = null;
        if (!ready) reject(this.connectError(new Error('connection closed during login'), seenKey));
        // Commands in flight on this client fail through their own 'close' listeners (exec()).
      });
      const config: ConnectConfig = {
        host: t.host,
        port: t.port,
        username: t.user,
        readyTimeout: t.connectTimeoutMs,
        keepaliveInterval: t.keepaliveIntervalMs,
        keepaliveCountMax: 3,
        hostVerifier: (key: Buffer) => {
          const fp = sshFingerprint(key);
          if (sameFingerprint(fp, t.hostKeySha256)) return true;
          seenKey = fp;
          return false;
        },
      };
      if (t.password !== undefined) config.password = t.password;
      if (t.privateKey !== undefined) config.privateKey = t.privateKey;
      if (t.passphrase !== undefined) config.passphrase = t.passphrase;
      client.connect(config);
    });
  }

  private connectError(err: Error & { level?: string }, seenKey: string | null): StorwizeError {
    const t = this.target;
    const where = `${t.array} (${t.host}:${t.port})`;
    if (seenKey !== null) {
      return new StorwizeError(
        'STORWIZE_HOST_KEY_MISMATCH',
        `${where} presented host key ${seenKey}, not the pinned ${t.hostKeySha256}; connection refused`,
        {
          hint:
            'Someone may be intercepting the connection, or the array was replaced. Check the key on the array ' +
            'console (or `ssh-keyscan` from a trusted network, then `ssh-keygen -lf`), and only then update ' +
            'hostKeySha256 in sites.yaml.',
          details: { array: t.array, expected: t.hostKeySha256, seen: seenKey },
        },
      );
    }
    if (err.level === 'client-authentication') {
      return new StorwizeError('STORWIZE_AUTH', `${where} refused the login of user "${t.user}"`, {
        hint: 'Check the user in sites.yaml and the password or private key in the environment variable it names.',
        details: { array: t.array, user: t.user },
        cause: err,
      });
    }
    return new StorwizeError('STORWIZE_UNREACHABLE', `${where} cannot be reached: ${err.message}`, {
      hint: 'Check that the array management address answers on SSH from this host, then run the step again.',
      retryable: true,
      details: { array: t.array },
      cause: err,
    });
  }

  private exec(client: Client, line: string, argv: readonly string[]): Promise<ExecResult> {
    const t = this.target;
    const verb = argv[0] === 'svcinfo' || argv[0] === 'svctask' ? argv[1] : argv[0];
    return new Promise<ExecResult>((resolve, reject) => {
      let channel: ClientChannel | null = null;
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        client.removeListener('close', onClientClose);
        fn();
      };
      const lost = (cause: string) =>
        settle(() =>
          reject(
            new StorwizeError(
              'STORWIZE_CONNECTION_LOST',
              `${t.array}: connection lost during ${verb}: ${cause}`,
              {
                hint: 'The command may or may not have run. Bascule reads the state back before doing anything else; run the step again if it stopped.',
                retryable: true,
                details: { array: t.array, command: verb },
              },
            ),
          ),
        );
      const timer = setTimeout(() => {
        settle(() =>
          reject(
            new StorwizeError(
              'STORWIZE_TIMEOUT',
              `${t.array}: ${verb} did not finish within ${t.commandTimeoutMs} ms`,
              {
                hint: 'The array is slow or stuck; the command may still run. Read the unit status, then run the step again.',
                retryable: true,
                details: { array: t.array, command: verb, timeoutMs: t.commandTimeoutMs },
              },
            ),
          ),
        );
        channel?.close();
      }, t.commandTimeoutMs);
      const onClientClose = () => lost('the SSH connection closed');
      client.once('close', onClientClose);
      const started = (err: Error | undefined, ch: ClientChannel) => {
        if (err) return lost(err.message);
        channel = ch;
        if (settled) return ch.close();
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let code: number | null = null;
        ch.on('data', (d: Buffer) => out.push(d));
        ch.stderr.on('data', (d: Buffer) => errOut.push(d));
        ch.on('exit', (c: number | null) => {
          code = c;
        });
        ch.on('close', () => {
          if (code === null) return lost('the command ended without an exit status');
          const exit = code;
          settle(() =>
            resolve({
              stdout: Buffer.concat(out).toString('utf8'),
              stderr: Buffer.concat(errOut).toString('utf8'),
              code: exit,
            }),
          );
        });
      };
      try {
        client.exec(line, started);
      } catch (err) {
        // ssh2 throws at once when the socket is already gone.
        lost(err instanceof Error ? err.message : String(err));
      }
    });
  }
}
