import { setTimeout as sleep } from 'node:timers/promises';
import ssh2 from 'ssh2';
import type { StorwizeArrayConfig } from '../../config/schema.js';
import type { ProtectedUnit, ReplicationStatus } from '../../domain/replication.js';
import type { ActionOptions, ReplicationAdapter, SwitchoverOptions } from '../replication/types.js';
import {
  actionTimeout,
  bothUnreachable,
  inConsistencyGroup,
  refusal,
  refusedWithState,
  stuck,
} from './action-errors.js';
import { describeStep, stepCommand } from './commands.js';
import { StorwizeConnection } from './connection.js';
import { aborted, isStorwizeError, isTransport, isUncertain } from './errors.js';
import { configError, onSite, otherThan, type Pair, resolvePair, roleOn } from './pairs.js';
import { type Decision, planFailover, planResync, planSwitchover } from './plan.js';
import { readUnit } from './read.js';
import { isCopying, siteOfRole, toStatus } from './status.js';
import type { RcView, ResyncOptions, StorwizeAdapterOptions, StorwizeTimings } from './types.js';

// ReplicationAdapter for IBM Storwize remote copy over the SSH CLI. Every action is a loop of
// read → plan one step → run it → read again (plan.ts), on one array: the target site's for
// switchover and failover (as Cinder drives failover from the aux system), the first one that
// answers for status and resync.

const defaultTimings: StorwizeTimings = {
  pollIntervalMs: 5_000,
  commandTimeoutMs: 60_000,
  connectTimeoutMs: 20_000,
  keepaliveIntervalMs: 15_000,
  actionTimeoutMs: 6 * 3_600_000,
};

/** Lost connections tolerated within one action before giving up. */
const MAX_UNCERTAIN = 3;

/** One action in progress. */
interface Run {
  p: Pair;
  conn: StorwizeConnection;
  action: string;
  limitMs: number;
  deadline: number;
  signal: AbortSignal | undefined;
}

export class StorwizeAdapter implements ReplicationAdapter {
  readonly kind = 'storwize' as const;
  private readonly configs = new Map<string, StorwizeArrayConfig>();
  private readonly connections = new Map<string, StorwizeConnection>();
  private readonly timings: StorwizeTimings;

  constructor(options: StorwizeAdapterOptions) {
    this.timings = { ...defaultTimings, ...options.timings };
    for (const a of options.arrays) {
      const secret = options.secrets[a.name];
      if (!secret || (secret.password === undefined && secret.privateKey === undefined)) {
        throw configError(
          `no password or private key given for Storwize array ${a.name}`,
          'Set passwordEnv or privateKeyEnv for it in sites.yaml and the variable in the environment.',
        );
      }
      if (secret.privateKey !== undefined) {
        const parsed = ssh2.utils.parseKey(secret.privateKey, secret.passphrase);
        if (parsed instanceof Error) {
          throw configError(
            `the private key for Storwize array ${a.name} cannot be read: ${parsed.message}`,
            'Put the whole OpenSSH or PEM private key in the variable named by privateKeyEnv.',
          );
        }
      }
      this.configs.set(a.name, a);
      const { connectTimeoutMs, commandTimeoutMs, keepaliveIntervalMs } = this.timings;
      this.connections.set(
        a.name,
        new StorwizeConnection({
          array: a.name,
          site: a.site,
          host: a.host,
          port: a.port,
          user: a.user,
          hostKeySha256: a.hostKeySha256,
          ...secret,
          maxConcurrentCommands: a.maxConcurrentCommands,
          connectTimeoutMs,
          commandTimeoutMs,
          keepaliveIntervalMs,
        }),
      );
    }
  }

  async status(unit: ProtectedUnit, options: ActionOptions = {}): Promise<ReplicationStatus> {
    const p = this.pair(unit);
    return toStatus(unit.id, await this.readFirst(p, options.signal));
  }

  async switchover(
    unit: ProtectedUnit,
    toSite: string,
    options: SwitchoverOptions = {},
  ): Promise<ReplicationStatus> {
    const p = this.pair(unit);
    return this.drive(p, onSite(p, toSite), options, 'switchover', (v) =>
      planSwitchover(v, roleOn(p, v, toSite), options.allowForce ?? false),
    );
  }

  async failover(
    unit: ProtectedUnit,
    toSite: string,
    options: ActionOptions = {},
  ): Promise<ReplicationStatus> {
    const p = this.pair(unit);
    // Only the surviving array is ever asked: the source site is presumed gone.
    return this.drive(p, onSite(p, toSite), options, 'failover', (v) =>
      planFailover(v, roleOn(p, v, toSite)),
    );
  }

  async resync(unit: ProtectedUnit, options: ResyncOptions = {}): Promise<ReplicationStatus> {
    const p = this.pair(unit);
    const from = options.primarySite;
    if (from !== undefined) onSite(p, from);
    const first = await this.readFirst(p, options.signal);
    const conn = first.array === p.home.array ? p.home : p.partner;
    const preferred = from === undefined ? null : roleOn(p, first, from);
    return this.drive(p, conn, options, 'resync', (v) => planResync(v, preferred), first);
  }

  async close(): Promise<void> {
    await Promise.all([...this.connections.values()].map((c) => c.close()));
  }

  private pair(unit: ProtectedUnit): Pair {
    return resolvePair(unit, this.configs, this.connections);
  }

  private read(p: Pair, conn: StorwizeConnection, signal?: AbortSignal): Promise<RcView> {
    return readUnit(conn, p.ref, otherThan(p, conn).site, signal);
  }

  /** The unit as the home array reports it, or the partner when the home array cannot be reached. */
  private async readFirst(p: Pair, signal?: AbortSignal): Promise<RcView> {
    try {
      return await this.read(p, p.home, signal);
    } catch (homeErr) {
      if (!isTransport(homeErr)) throw homeErr;
      try {
        return await this.read(p, p.partner, signal);
      } catch (partnerErr) {
        if (!isTransport(partnerErr)) throw partnerErr;
        throw bothUnreachable(p.unit.id, homeErr as Error, partnerErr as Error);
      }
    }
  }

  private async drive(
    p: Pair,
    conn: StorwizeConnection,
    options: ActionOptions,
    action: string,
    plan: (v: RcView) => Decision,
    initial?: RcView,
  ): Promise<ReplicationStatus> {
    const { signal } = options;
    const limitMs = options.timeoutMs ?? this.timings.actionTimeoutMs;
    const run: Run = { p, conn, action, limitMs, deadline: Date.now() + limitMs, signal };
    const report = (v: RcView, message: string) =>
      options.onProgress?.({
        percent: isCopying(v.state) ? (v.progress ?? 0) : null,
        message,
        status: toStatus(p.unit.id, v),
      });
    let view = initial ?? (await this.read(p, conn, signal));
    let lastStep: string | null = null;
    let repeated = false;
    let uncertain = 0;
    for (;;) {
      if (signal?.aborted) throw aborted();
      // The array moves a grouped relationship only with its group: refuse rather than fail midway.
      if (p.ref.kind === 'relationship' && view.consistencyGroup !== null)
        throw inConsistencyGroup(p.unit.id, view);
      const d = plan(view);
      if (d.kind === 'done') return toStatus(p.unit.id, view);
      if (d.kind === 'refuse') throw refusal(p.unit.id, view, d, action);
      if (d.kind === 'wait') {
        report(view, waitMessage(view));
        lastStep = null;
        await this.pause(run, view);
      } else {
        const key = JSON.stringify(d.step);
        if (key === lastStep) {
          // Accepted, yet the state has not moved: allow the array one poll interval, no more.
          if (repeated) throw stuck(p.unit.id, view, d.step.verb);
          repeated = true;
          await this.pause(run, view);
        } else {
          report(
            view,
            describeStep(p.ref, d.step, (r) => siteOfRole(view, r)),
          );
          try {
            await conn.run(stepCommand(p.ref, d.step), 'write', signal);
            lastStep = key;
            repeated = false;
          } catch (err) {
            if (!isUncertain(err) || ++uncertain > MAX_UNCERTAIN) throw await this.withStateSeen(run, err);
            // It may have run: the next read tells, and the plan decides again.
            lastStep = null;
          }
        }
      }
      if (Date.now() > run.deadline) throw actionTimeout(p.unit.id, view, action, limitMs);
      view = await this.read(p, conn, signal);
    }
  }

  private async pause(run: Run, v: RcView): Promise<void> {
    const ms = Math.min(this.timings.pollIntervalMs, run.deadline - Date.now());
    if (ms <= 0) throw actionTimeout(run.p.unit.id, v, run.action, run.limitMs);
    try {
      await sleep(ms, undefined, run.signal ? { signal: run.signal } : undefined);
    } catch (err) {
      if (run.signal?.aborted) throw aborted();
      throw err;
    }
  }

  private async withStateSeen(run: Run, err: unknown): Promise<unknown> {
    if (!isStorwizeError(err, 'STORWIZE_WRONG_STATE')) return err;
    try {
      return refusedWithState(err, run.p.unit.id, await this.read(run.p, run.conn));
    } catch {
      // The refusal is the news; a failed read-back must not replace it.
      return err;
    }
  }
}

function waitMessage(v: RcView): string {
  if (isCopying(v.state) && v.primary) {
    const from = siteOfRole(v, v.primary);
    const to = from === v.masterSite ? v.auxSite : v.masterSite;
    return `copying ${v.name} from ${from} to ${to}: ${v.progress ?? 0}%`;
  }
  return `waiting for ${v.name}: ${v.state}`;
}
