import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { AuthContext, Connection, ParsedKey, ServerChannel } from 'ssh2';
import ssh2 from 'ssh2';

// One array's SSH listener. ssh2's Server handles the protocol; the TCP listener is our own and
// hands each socket to it (injectSocket), so a test can cut a connection the way a network does:
// the socket dies, no SSH disconnect message, no exit status.

const { Server, utils } = ssh2;

export interface SshAuth {
  user: string;
  password: string;
  publicKey: ParsedKey | null;
}

/** Runs one exec'd command line; `cut` kills the connection instead of answering. */
export type ExecHandler = (
  command: string,
  reply: (r: { stdout: string; stderr: string; code: number }) => void,
  cut: () => void,
) => void;

/**
 * An ed25519 key pair from ssh2's generator. About one key in 200 comes out with its public half
 * one byte short (a leading zero dropped), which ssh2 then cannot parse: draw again.
 */
export function ed25519KeyPair(): { private: string; public: string } {
  for (;;) {
    const pair = utils.generateKeyPairSync('ed25519');
    if (!(utils.parseKey(pair.private) instanceof Error) && !(utils.parseKey(pair.public) instanceof Error))
      return pair;
  }
}

export function sha256Fingerprint(key: ParsedKey): string {
  return `SHA256:${createHash('sha256').update(key.getPublicSSH()).digest('base64').replace(/=+$/, '')}`;
}

export function parseKeyOrThrow(text: string, what: string): ParsedKey {
  const parsed = utils.parseKey(text);
  if (parsed instanceof Error) throw new Error(`${what}: ${parsed.message}`);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key) throw new Error(`${what}: no key found`);
  return key;
}

function sameSecret(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

function authenticate(ctx: AuthContext, auth: SshAuth): void {
  const methods: Array<'password' | 'publickey'> = auth.publicKey ? ['password', 'publickey'] : ['password'];
  if (ctx.method === 'password') {
    if (ctx.username === auth.user && sameSecret(ctx.password, auth.password)) ctx.accept();
    else ctx.reject(methods);
  } else if (ctx.method === 'publickey' && auth.publicKey) {
    const key = auth.publicKey;
    const sameKey = ctx.key.algo === key.type && ctx.key.data.equals(key.getPublicSSH());
    // Without a signature the client only asks whether this key would do.
    const signed = !ctx.signature || !ctx.blob || key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true;
    if (ctx.username === auth.user && sameKey && signed) ctx.accept();
    else ctx.reject(methods);
  } else {
    ctx.reject(methods);
  }
}

export class ArraySshServer {
  private readonly tcp: NetServer;
  private readonly sockets = new Set<Socket>();
  private readonly byPort = new Map<number, Socket>();

  constructor(hostKey: string, auth: SshAuth, onExec: ExecHandler, onLogin: () => void) {
    const ssh = new Server({ hostKeys: [hostKey], ident: 'IBM_Storwize' }, (client: Connection, info) => {
      const socket = this.byPort.get(info.port);
      const cut = () => socket?.destroy();
      // Resets from clients and from cut() are expected in the lab; the socket close cleans up.
      client.on('error', () => undefined);
      client.on('authentication', (ctx) => authenticate(ctx, auth));
      client.on('ready', onLogin);
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('pty', (_accept, reject) => reject());
        session.on('shell', (accept) => {
          const ch: ServerChannel = accept();
          ch.stderr.write(
            'CMMVC6051E This lab array runs one command per exec request; no interactive shell.\n',
          );
          ch.exit(1);
          ch.end();
        });
        session.on('exec', (accept, _reject, req) => {
          const ch: ServerChannel = accept();
          let open = true;
          ch.on('close', () => {
            open = false;
          });
          onExec(
            req.command,
            (r) => {
              // The client may have given up on the command (its timeout): nobody left to answer.
              if (!open) return;
              if (r.stdout) ch.write(r.stdout);
              if (r.stderr) ch.stderr.write(r.stderr);
              ch.exit(r.code);
              ch.end();
            },
            cut,
          );
        });
      });
    });
    this.tcp = createServer((socket) => {
      const port = socket.remotePort;
      socket.setNoDelay(true);
      this.sockets.add(socket);
      if (port !== undefined) this.byPort.set(port, socket);
      socket.on('close', () => {
        this.sockets.delete(socket);
        if (port !== undefined) this.byPort.delete(port);
      });
      ssh.injectSocket(socket);
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.tcp.once('error', reject);
      this.tcp.listen(0, '127.0.0.1', () => {
        const addr = this.tcp.address();
        if (addr === null || typeof addr === 'string') reject(new Error('no TCP port'));
        else resolve(addr.port);
      });
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.tcp.close(() => resolve()));
  }
}
