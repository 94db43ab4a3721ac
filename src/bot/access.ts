import type { WebClient } from '@slack/web-api';
import type { Topology } from '../config/schema.js';
import type { Logger } from '../log.js';

// Who may do what, by Slack user id (never by display name): the channels that accept commands,
// the operators who may start runs, and the approvers (a list and/or a user group resolved with
// usergroups.users.list, cached for a minute).

const GROUP_TTL_MS = 60_000;

export class Access {
  private readonly groups = new Map<string, { at: number; users: Set<string> }>();
  /** The topology is read once at start-up, so the set is too (every command asks). */
  private readonly allowedChannels: ReadonlySet<string>;

  constructor(
    private readonly topology: Topology,
    private readonly client: WebClient,
    private readonly log: Logger,
  ) {
    this.allowedChannels = new Set([
      ...topology.access.channels,
      ...topology.sites.flatMap((s) => (s.slackChannel ? [s.slackChannel] : [])),
      ...(topology.notifications.opsChannel ? [topology.notifications.opsChannel] : []),
    ]);
  }

  channels(): ReadonlySet<string> {
    return this.allowedChannels;
  }

  channelAllowed(channel: string): boolean {
    return this.allowedChannels.has(channel);
  }

  channelRefusal(): string {
    const list = [...this.channels()].map((c) => `<#${c}>`).join(', ');
    return `Bascule does not take commands in this channel. Use one of: ${list || '(none configured: set access.channels in sites.yaml)'}.`;
  }

  async isOperator(user: string): Promise<boolean> {
    const a = this.topology.access;
    if (a.operators.length === 0 && !a.operatorGroup) return true;
    if (a.operators.includes(user)) return true;
    return a.operatorGroup ? (await this.groupMembers(a.operatorGroup)).has(user) : false;
  }

  async isApprover(user: string): Promise<boolean> {
    const a = this.topology.approvals;
    if (a.approvers.includes(user)) return true;
    return a.userGroup ? (await this.groupMembers(a.userGroup)).has(user) : false;
  }

  private async groupMembers(group: string): Promise<Set<string>> {
    const cached = this.groups.get(group);
    if (cached && Date.now() - cached.at < GROUP_TTL_MS) return cached.users;
    try {
      const res = await this.client.usergroups.users.list({ usergroup: group });
      const users = new Set(res.users ?? []);
      this.groups.set(group, { at: Date.now(), users });
      return users;
    } catch (err) {
      // Failing closed: nobody is in a group we cannot read.
      this.log.warn(
        { group, err: err instanceof Error ? err.message : String(err) },
        'user group unreadable',
      );
      return cached?.users ?? new Set();
    }
  }
}
