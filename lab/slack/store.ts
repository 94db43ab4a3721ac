import { randomBytes } from 'node:crypto';
import type {
  IssueRequest,
  SlackChannelSpec,
  SlackEphemeral,
  SlackMessage,
  SlackUserSpec,
  SlackView,
  SlackWorkspaceSpec,
} from './types.js';

// The stand-in's memory: the workspace (read-only), the conversation (messages, threads, edits,
// ephemerals), opened views, and the trigger ids and response_urls handed to the driver.

export type ResolvedChannel = SlackChannelSpec & { isIm?: boolean };

interface IssuedUrl {
  kind: 'command' | 'action';
  channel: string;
  user: string;
  messageTs?: string;
  uses: number;
  issuedAt: number;
}

/** Slack message timestamps: epoch seconds and a 6-digit suffix, unique and increasing. */
export class TsClock {
  private last = 0;

  next(): string {
    const micros = Math.max(Date.now() * 1000, this.last + 100);
    this.last = micros;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }
}

export class SlackStore {
  readonly clock = new TsClock();
  readonly messages: SlackMessage[] = [];
  readonly ephemerals: SlackEphemeral[] = [];
  readonly views: SlackView[] = [];
  private readonly triggers = new Map<string, { issuedAt: number; user: string }>();
  private readonly responseUrls = new Map<string, IssuedUrl>();

  constructor(
    readonly workspace: SlackWorkspaceSpec,
    readonly triggerTtlMs: number,
  ) {}

  user(id: string): SlackUserSpec | undefined {
    return this.workspace.users.find((u) => u.id === id);
  }

  channel(id: string): ResolvedChannel | undefined {
    // Slack accepts a channel name ("#infra-ops" or "infra-ops") where it expects an id, and a
    // user id for a direct message with that user (answered with the IM's D… id).
    const name = id.replace(/^#/, '');
    const found = this.workspace.channels.find((c) => c.id === id || c.name === name);
    if (found) return found;
    const dm = /^[UWD]/.test(id) ? this.user(id.startsWith('D') ? `U${id.slice(1)}` : id) : undefined;
    if (!dm || dm.deleted) return undefined;
    return { id: `D${dm.id.slice(1)}`, name: dm.name, isIm: true, members: [dm.id] };
  }

  isMember(channel: SlackChannelSpec, user: string): boolean {
    return channel.members === undefined || channel.members.includes(user);
  }

  message(channel: string, ts: string): SlackMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }

  post(m: Omit<SlackMessage, 'type' | 'ts'>): SlackMessage {
    const message: SlackMessage = { type: 'message', ts: this.clock.next(), ...m };
    if (message.thread_ts !== undefined) {
      const parent = this.message(message.channel, message.thread_ts);
      if (parent) {
        parent.thread_ts = parent.ts;
        parent.reply_count = (parent.reply_count ?? 0) + 1;
        parent.reply_users = [...new Set([...(parent.reply_users ?? []), message.user])];
        parent.latest_reply = message.ts;
      }
    }
    this.messages.push(message);
    return message;
  }

  /** The thread of a parent message, parent first, as conversations.replies lists it. */
  thread(channel: string, ts: string): SlackMessage[] {
    return this.messages.filter((m) => m.channel === channel && (m.ts === ts || m.thread_ts === ts));
  }

  remove(channel: string, ts: string): boolean {
    const i = this.messages.findIndex((m) => m.channel === channel && m.ts === ts);
    if (i < 0) return false;
    this.messages.splice(i, 1);
    return true;
  }

  issue(req: IssueRequest, baseUrl: string): { triggerId: string; responseUrl: string } {
    const now = Date.now();
    // Slack's shapes: trigger "13345224609.738474920.8088930838d88f008e0" and
    // response_url "https://hooks.slack.com/commands/T…/<id>/<secret>".
    const triggerId = `${Math.floor(now / 1000)}.${randomDigits(9)}.${randomBytes(16).toString('hex')}`;
    this.triggers.set(triggerId, { issuedAt: now, user: req.user });
    if (req.kind === 'view' || req.channel === undefined) return { triggerId, responseUrl: '' };
    const path = `/${req.kind === 'command' ? 'commands' : 'actions'}/${this.workspace.team.id}/${randomDigits(13)}/${randomBytes(12).toString('hex')}`;
    this.responseUrls.set(path, {
      kind: req.kind,
      channel: req.channel,
      user: req.user,
      ...(req.messageTs === undefined ? {} : { messageTs: req.messageTs }),
      uses: 0,
      issuedAt: now,
    });
    return { triggerId, responseUrl: `${baseUrl}${path}` };
  }

  /** Consumes a trigger id: each opens one view, within the trigger's lifetime (3 s at Slack). */
  useTrigger(triggerId: string): { user: string } | 'invalid_trigger_id' | 'expired_trigger_id' {
    const t = this.triggers.get(triggerId);
    if (!t) return 'invalid_trigger_id';
    this.triggers.delete(triggerId);
    if (Date.now() - t.issuedAt >= this.triggerTtlMs) return 'expired_trigger_id';
    return { user: t.user };
  }

  responseUrl(path: string): IssuedUrl | undefined {
    return this.responseUrls.get(path);
  }

  clear(): void {
    this.messages.length = 0;
    this.ephemerals.length = 0;
    this.views.length = 0;
    this.triggers.clear();
    this.responseUrls.clear();
  }
}

function randomDigits(n: number): string {
  let s = '';
  for (const b of randomBytes(n)) s += String(b % 10);
  return s.replace(/^0/, '1');
}
