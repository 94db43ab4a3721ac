import { readFileSync } from 'node:fs';
import type { ProtectedUnit, ReplicationStatus } from '../../domain/replication.js';
import type {
  ActionOptions,
  SwitchoverOptions,
  ZertoMoveOptions,
  ZertoReplicationAdapter,
} from '../replication/types.js';
import { createAuthenticator } from './auth.js';
import { createTransport, ZertoClient } from './client.js';
import { SubStatus, VpgStatus } from './enums.js';
import { ZertoError } from './errors.js';
import { deadline, pause } from './poll.js';
import { taskIdSchema } from './schema.js';
import { isBeforeCommit, isCommitting, isRollingBack, testRunning } from './status.js';
import type { ZertoAdapterOptions } from './types.js';
import {
  checkSite,
  inOperation,
  type Read,
  remaining,
  report,
  VpgTracker,
  type VpgUnit,
  vpgUnit,
} from './vpgs.js';

export { ZertoError, type ZertoErrorCode } from './errors.js';
export type { ZertoAdapterOptions, ZertoCredentials } from './types.js';

// Zerto VPGs through one ZVM's REST API. A planned switchover is a move with commit policy None,
// then MoveCommit once the task waits for the user (state 2 means "awaiting commit", not failure),
// with reverse protection so the VPG protects the way back. Every verb reads the VPG first: a VPG
// already protected from the target site, or already waiting for its commit there, is not moved again.

const DEFAULT_ACTION_MS = 60 * 60_000;
const DEFAULT_RESYNC_MS = 24 * 3_600_000;

export function createZertoAdapter(options: ZertoAdapterOptions): ZertoReplicationAdapter {
  return new ZertoAdapter(options);
}

class ZertoAdapter implements ZertoReplicationAdapter {
  readonly kind = 'zerto' as const;
  private readonly client: ZertoClient;
  private readonly vpgs: VpgTracker;
  private readonly pollMs: number;

  constructor(o: ZertoAdapterOptions) {
    const ca = o.ca ?? (o.config.caFile ? readFileSync(o.config.caFile, 'utf8') : undefined);
    const baseUrl = o.config.url.replace(/\/+$/, '');
    const transport = createTransport(ca, o.requestTimeoutMs ?? 30_000);
    this.client = new ZertoClient(baseUrl, transport, createAuthenticator(o, baseUrl, transport));
    this.pollMs = o.pollIntervalMs ?? 5_000;
    this.vpgs = new VpgTracker(this.client, o.config.site, this.pollMs);
  }

  async status(unit: ProtectedUnit, options: ActionOptions = {}): Promise<ReplicationStatus> {
    return (await this.vpgs.read(vpgUnit(unit), options.signal)).status;
  }

  async switchover(
    unit: ProtectedUnit,
    toSite: string,
    options: SwitchoverOptions = {},
  ): Promise<ReplicationStatus> {
    const u = vpgUnit(unit);
    checkSite(u, toSite);
    const until = deadline(options.timeoutMs ?? DEFAULT_ACTION_MS, `the switchover of ${u.ref.name}`);
    const r = await this.vpgs.read(u, options.signal);
    const awaiting = isBeforeCommit(r.vpg) && r.siteOf(r.vpg.RecoverySite.identifier) === toSite;
    if (!awaiting) {
      if (r.status.primarySite === toSite && !inOperation(r.vpg)) return r.status;
      if (r.status.health !== 'in-sync') {
        throw new ZertoError(
          'ZERTO_WRONG_STATE',
          `${u.ref.name} is not meeting its SLA (${r.status.raw}); it was not moved`,
          {
            hint: 'Run `resync` for this unit (or fix the VPG in the Zerto UI), then run the switchover again.',
          },
        );
      }
      await this.move(u, toSite, {
        ...options,
        timeoutMs: remaining(until),
        commitPolicy: 'None',
        reverseProtection: true,
        forceShutdown: options.allowForce ?? false,
      });
    }
    return this.commit(u, { ...options, timeoutMs: remaining(until) });
  }

  async failover(
    unit: ProtectedUnit,
    toSite: string,
    options: ActionOptions = {},
  ): Promise<ReplicationStatus> {
    const u = vpgUnit(unit);
    checkSite(u, toSite);
    const until = deadline(options.timeoutMs ?? DEFAULT_ACTION_MS, `the failover of ${u.ref.name}`);
    const r = await this.vpgs.read(u, options.signal);
    const awaiting = isBeforeCommit(r.vpg) && r.siteOf(r.vpg.RecoverySite.identifier) === toSite;
    if (!awaiting) {
      if (r.status.primarySite === toSite && !inOperation(r.vpg)) return r.status;
      this.assertCanStart(u, r, toSite);
      // With the peer gone nothing can be shut down there, nor protected back to it.
      const connected = r.status.health !== 'disconnected';
      const taskId = await this.client.post(
        `/v1/vpgs/${r.vpg.VpgIdentifier}/failover`,
        { commitPolicy: 'None', shutdownPolicy: connected ? 2 : 0, reverseProtection: connected },
        taskIdSchema,
        options.signal,
      );
      await this.vpgs.waitTask(u, taskId, 'awaiting-commit', until, options, toSite);
    }
    return this.commit(u, { ...options, timeoutMs: remaining(until) });
  }

  async resync(unit: ProtectedUnit, options: ActionOptions = {}): Promise<ReplicationStatus> {
    const u = vpgUnit(unit);
    const until = deadline(options.timeoutMs ?? DEFAULT_RESYNC_MS, `${u.ref.name} to meet its SLA`);
    let resumed = false;
    for (;;) {
      const r = await this.vpgs.read(u, options.signal);
      if (r.vpg.Status === VpgStatus.MeetingSLA) return r.status;
      if (r.vpg.Status === VpgStatus.Recovered || r.vpg.SubStatus === SubStatus.NeedsConfiguration) {
        throw new ZertoError(
          'ZERTO_WRONG_STATE',
          `${u.ref.name} is not protected any more (${r.status.raw})`,
          {
            hint: 'Edit the VPG in the Zerto UI to protect it toward the other site (reverse protection), then run resync again.',
          },
        );
      }
      if (inOperation(r.vpg)) {
        throw new ZertoError(
          'ZERTO_WRONG_STATE',
          `${u.ref.name} is in the middle of a move or failover (${r.status.raw})`,
          {
            hint: 'Commit or roll back the move first (bascule commit / rollback), then run resync again.',
          },
        );
      }
      if (r.vpg.SubStatus === SubStatus.ReplicationPausedUserInitiated && !resumed) {
        const taskId = await this.client.post(
          `/v1/vpgs/${r.vpg.VpgIdentifier}/resume`,
          {},
          taskIdSchema,
          options.signal,
        );
        await this.vpgs.waitTask(u, taskId, 'done', until, options);
        resumed = true;
        continue;
      }
      const percent = r.status.progressPercent;
      report(options, {
        percent,
        message: `waiting for ${u.ref.name} to meet its SLA (${r.status.raw}${percent === null ? '' : `, ${percent}%`})`,
        status: r.status,
      });
      await pause(this.pollMs, until, options.signal);
    }
  }

  async move(
    unit: ProtectedUnit,
    toSite: string,
    options: ZertoMoveOptions = {},
  ): Promise<ReplicationStatus> {
    const u = vpgUnit(unit);
    checkSite(u, toSite);
    const until = deadline(options.timeoutMs ?? DEFAULT_ACTION_MS, `the move of ${u.ref.name}`);
    const r = await this.vpgs.read(u, options.signal);
    if (isBeforeCommit(r.vpg) && r.siteOf(r.vpg.RecoverySite.identifier) === toSite) return r.status;
    if (r.status.primarySite === toSite && !inOperation(r.vpg)) return r.status;
    this.assertCanStart(u, r, toSite);
    const policy = options.commitPolicy ?? 'None';
    const body: Record<string, unknown> = {
      commitPolicy: policy,
      forceShutdown: options.forceShutdown ?? false,
      reverseProtection: options.reverseProtection ?? true,
      keepSourceVms: false,
    };
    // An automatic commit or rollback happens after the shortest timeout Zerto allows.
    if (policy !== 'None') body.commitPolicyTimeout = 300;
    report(options, { percent: 0, message: `moving ${u.ref.name} to ${toSite}`, status: r.status });
    const taskId = await this.client.post(
      `/v1/vpgs/${r.vpg.VpgIdentifier}/move`,
      body,
      taskIdSchema,
      options.signal,
    );
    await this.vpgs.waitTask(
      u,
      taskId,
      policy === 'None' ? 'awaiting-commit' : policy === 'Rollback' ? 'ended' : 'done',
      until,
      options,
      toSite,
    );
    return (await this.vpgs.read(u, options.signal)).status;
  }

  async commit(unit: ProtectedUnit, options: ActionOptions = {}): Promise<ReplicationStatus> {
    const u = vpgUnit(unit);
    const until = deadline(options.timeoutMs ?? DEFAULT_ACTION_MS, `the commit of ${u.ref.name}`);
    const r = await this.vpgs.read(u, options.signal);
    if (isBeforeCommit(r.vpg)) {
      const verb = r.vpg.SubStatus === SubStatus.MovingBeforeCommit ? 'MoveCommit' : 'FailoverCommit';
      // No body: Zerto applies the reverse-protection choice made when the move or failover started.
      report(options, { percent: null, message: `committing ${u.ref.name}`, status: r.status });
      const taskId = await this.client.post(
        `/v1/vpgs/${r.vpg.VpgIdentifier}/${verb}`,
        {},
        taskIdSchema,
        options.signal,
      );
      await this.vpgs.waitTask(u, taskId, 'done', until, options);
    } else if (!isCommitting(r.vpg)) {
      return r.status;
    }
    return this.vpgs.waitVpg(
      u,
      (v) => !isCommitting(v) && !isBeforeCommit(v),
      until,
      options,
      'the commit to settle',
    );
  }

  async rollback(unit: ProtectedUnit, options: ActionOptions = {}): Promise<ReplicationStatus> {
    const u = vpgUnit(unit);
    const until = deadline(options.timeoutMs ?? DEFAULT_ACTION_MS, `the rollback of ${u.ref.name}`);
    const r = await this.vpgs.read(u, options.signal);
    if (isBeforeCommit(r.vpg)) {
      const verb = r.vpg.SubStatus === SubStatus.MovingBeforeCommit ? 'moveRollBack' : 'FailoverRollback';
      report(options, { percent: null, message: `rolling back ${u.ref.name}`, status: r.status });
      const taskId = await this.client.post(
        `/v1/vpgs/${r.vpg.VpgIdentifier}/${verb}`,
        {},
        taskIdSchema,
        options.signal,
      );
      await this.vpgs.waitTask(u, taskId, 'done', until, options);
    } else if (!isRollingBack(r.vpg)) {
      return r.status;
    }
    return this.vpgs.waitVpg(
      u,
      (v) => !isRollingBack(v) && !isBeforeCommit(v),
      until,
      options,
      'the rollback to settle',
    );
  }

  async startFailoverTest(unit: ProtectedUnit, options: ActionOptions = {}): Promise<ReplicationStatus> {
    const u = vpgUnit(unit);
    const until = deadline(options.timeoutMs ?? DEFAULT_ACTION_MS, `the failover test of ${u.ref.name}`);
    const r = await this.vpgs.read(u, options.signal);
    if (testRunning(r.vpg)) return r.status;
    if (inOperation(r.vpg)) {
      throw new ZertoError(
        'ZERTO_WRONG_STATE',
        `${u.ref.name} is moving or failing over (${r.status.raw}); no test started`,
        {
          hint: 'Commit or roll back first, then start the test.',
        },
      );
    }
    const taskId = await this.client.post(
      `/v1/vpgs/${r.vpg.VpgIdentifier}/FailoverTest`,
      {},
      taskIdSchema,
      options.signal,
    );
    await this.vpgs.waitTask(u, taskId, 'done', until, options);
    return this.vpgs.waitVpg(u, testRunning, until, options, 'the test to show as running');
  }

  async failoverTestRunning(unit: ProtectedUnit, options: ActionOptions = {}): Promise<boolean> {
    return testRunning((await this.vpgs.read(vpgUnit(unit), options.signal)).vpg);
  }

  async stopFailoverTest(
    unit: ProtectedUnit,
    success: boolean,
    summary: string,
    options: ActionOptions = {},
  ): Promise<ReplicationStatus> {
    const u = vpgUnit(unit);
    const until = deadline(
      options.timeoutMs ?? DEFAULT_ACTION_MS,
      `stopping the failover test of ${u.ref.name}`,
    );
    const r = await this.vpgs.read(u, options.signal);
    if (!testRunning(r.vpg)) return r.status;
    const taskId = await this.client.post(
      `/v1/vpgs/${r.vpg.VpgIdentifier}/FailoverTestStop`,
      { FailoverTestSuccess: success, FailoverTestSummary: summary },
      taskIdSchema,
      options.signal,
    );
    await this.vpgs.waitTask(u, taskId, 'done', until, options);
    return this.vpgs.waitVpg(u, (v) => !testRunning(v), until, options, 'the test to stop');
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private assertCanStart(u: VpgUnit, r: Read, toSite: string): void {
    if (inOperation(r.vpg)) {
      throw new ZertoError(
        'ZERTO_WRONG_STATE',
        `${u.ref.name} is already moving or failing over (${r.status.raw})`,
        {
          retryable: true,
          hint: 'Wait for the running operation (see Zerto Monitoring > Tasks), or commit/roll it back, then run again.',
        },
      );
    }
    if (r.siteOf(r.vpg.RecoverySite.identifier) !== toSite) {
      throw new ZertoError(
        'ZERTO_WRONG_STATE',
        `${u.ref.name} recovers to ${r.siteOf(r.vpg.RecoverySite.identifier)}, not ${toSite}`,
        {
          hint: 'The VPG is not protected toward the target site; edit it in the Zerto UI first.',
        },
      );
    }
    if (testRunning(r.vpg)) {
      throw new ZertoError('ZERTO_WRONG_STATE', `${u.ref.name} has a failover test running`, {
        hint: 'Stop the failover test first (bascule test stop), then run again.',
      });
    }
  }
}
