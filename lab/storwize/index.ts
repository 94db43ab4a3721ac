import { setTimeout as sleep } from 'node:timers/promises';
import { type CliResult, runCli, verbOf } from './cli.js';
import { Partnership } from './partnership.js';
import { Presenter } from './presenter.js';
import { ArraySshServer, ed25519KeyPair, parseKeyOrThrow, sha256Fingerprint } from './ssh-server.js';
import * as t from './transitions.js';
import type {
  SimArray,
  SimCommand,
  SimStats,
  StorwizeControl,
  StorwizeSim,
  StorwizeSimOptions,
} from './types.js';

export { ed25519KeyPair } from './ssh-server.js';
export type {
  DropOptions,
  RcState,
  Role,
  SimArray,
  SimCommand,
  SimHalfView,
  SimRelationshipState,
  SimState,
  SimStats,
  StorwizeControl,
  StorwizeSim,
  StorwizeSimOptions,
} from './types.js';

// Two IBM Storwize V7000 systems in a Global Mirror partnership, one SSH listener each, sharing one
// relationship state (lab CONTRACT, "Stand-ins"). Arrays are named v7000-<site>; relationships and
// consistency groups come from the model's Storwize datastores, master on the datastore's site,
// all consistent_synchronized at start. Commands run one at a time, as the real CLI serialises
// configuration changes, after the optional injected delay.

export async function startStorwizeSim(o: StorwizeSimOptions): Promise<StorwizeSim> {
  const partnership = new Partnership(o.model, o.timeScale ?? 1);
  const presenter = new Presenter(o.vcsim);
  const auth = {
    user: o.user,
    password: o.password,
    publicKey: o.publicKey ? parseKeyOrThrow(o.publicKey, 'publicKey') : null,
  };
  const log: SimCommand[] = [];
  const drops: Array<{ array: string | undefined; verb: string | undefined; when: 'before' | 'after' }> = [];
  const stopping = new AbortController();
  let delayMs = 0;
  const stats: SimStats = { logins: {}, peakConcurrentCommands: {} };
  const running: Record<string, number> = {};
  let queue: Promise<unknown> = Promise.resolve();

  function takeDrop(array: string, verb: string): 'before' | 'after' | null {
    const i = drops.findIndex((d) => (d.array ?? array) === array && (d.verb ?? verb) === verb);
    if (i < 0) return null;
    const [d] = drops.splice(i, 1);
    return d ? d.when : null;
  }

  async function handle(
    array: (typeof partnership.arrays)[number],
    command: string,
    reply: (r: CliResult) => void,
    cut: () => void,
  ) {
    const entry: SimCommand = {
      array: array.name,
      command,
      verb: verbOf(command),
      at: new Date().toISOString(),
      outcome: 'pending',
    };
    log.push(entry);
    const now = (running[array.name] ?? 0) + 1;
    running[array.name] = now;
    stats.peakConcurrentCommands[array.name] = Math.max(now, stats.peakConcurrentCommands[array.name] ?? 0);
    try {
      if (delayMs > 0) await sleep(delayMs, undefined, { signal: stopping.signal });
      const drop = takeDrop(array.name, entry.verb);
      if (drop === 'before') {
        entry.outcome = 'dropped';
        return cut();
      }
      const run = queue.then(() => runCli(command, { array, partnership, presenter }));
      queue = run.catch(() => undefined);
      const result = await run;
      if (drop === 'after') {
        entry.outcome = 'dropped';
        return cut();
      }
      entry.outcome = result.code;
      reply(result);
    } finally {
      running[array.name] = (running[array.name] ?? 1) - 1;
    }
  }

  const servers: ArraySshServer[] = [];
  const arrays: SimArray[] = [];
  try {
    for (const info of partnership.arrays) {
      const hostKey = o.hostKeyPem ?? ed25519KeyPair().private;
      const hostKeySha256 = sha256Fingerprint(parseKeyOrThrow(hostKey, 'hostKeyPem'));
      const onExec = (command: string, reply: (r: CliResult) => void, cut: () => void) => {
        handle(info, command, reply, cut).catch((err: unknown) => {
          if (stopping.signal.aborted) return cut();
          // A bug in the stand-in, not an array answer: say so plainly, never as a CMMVC message.
          const text = err instanceof Error ? err.stack : String(err);
          reply({ stdout: '', stderr: `lab stand-in failure: ${text}\n`, code: 2 });
        });
      };
      const onLogin = () => {
        stats.logins[info.name] = (stats.logins[info.name] ?? 0) + 1;
      };
      const server = new ArraySshServer(hostKey, auth, onExec, onLogin);
      servers.push(server);
      arrays.push({ name: info.name, site: info.site, port: await server.listen(), hostKeySha256 });
    }
  } catch (err) {
    await Promise.all(servers.map((s) => s.close()));
    await presenter.close();
    throw err;
  }

  const control: StorwizeControl = {
    dropConnections(count, options = {}) {
      for (let i = 0; i < count; i++)
        drops.push({ array: options.array, verb: options.verb, when: options.when ?? 'after' });
    },
    setLinkDown(down, target) {
      const now = Date.now();
      const units = target === undefined ? partnership.units() : [partnership.unitNamed(target)];
      for (const u of units) {
        partnership.tick(u, now);
        u.core = down ? t.linkDown(u.core, new Date(now)) : t.linkUp(u.core);
      }
    },
    hostWrite(target) {
      const u = partnership.unitNamed(target);
      partnership.tick(u, Date.now());
      u.core = t.hostWrite(u.core);
    },
    setCommandDelay(ms) {
      delayMs = Math.max(0, ms);
    },
    state() {
      partnership.tickAll(Date.now());
      return {
        relationships: partnership.relationships.map((r) => partnership.snapshot(r)),
        presentations: [...presenter.log],
      };
    },
    relationship(name) {
      partnership.tickAll(Date.now());
      const r = partnership.relationships.find((x) => x.name === name || x.datastore === name);
      if (!r) throw new Error(`no relationship or datastore named ${name}`);
      return partnership.snapshot(r);
    },
    commands: () => log.map((c) => ({ ...c })),
    clearCommands() {
      log.length = 0;
    },
    stats: () => structuredClone(stats),
    resetStats() {
      stats.logins = {};
      stats.peakConcurrentCommands = {};
    },
  };

  return {
    arrays,
    control,
    async stop() {
      stopping.abort();
      await Promise.all(servers.map((s) => s.close()));
      await presenter.close();
    },
  };
}
