import type { Redis } from 'ioredis';
import type { Decision } from './blocks/approval-prompt.js';

// What the bot remembers about each run it started from Slack: where its messages are, who asked,
// the approvals collected so far and the decision. One JSON document per run in Redis, changed by
// compare-and-set so that two approvers clicking at once cannot lose an approval.

export interface BotRun {
  runId: string;
  channel: string;
  /** The parent message (the progress card once approved); replies go in its thread. */
  parentTs: string;
  requestedBy: string;
  command: string;
  summary: string;
  planHash: string;
  required: number;
  createdAt: number;
  expiresAt: number;
  startAt: number | null;
  /** How the prompt's button names the start time (absent in records of older bots). */
  startAtLabel?: string | null;
  approvals: Array<{ user: string; at: string }>;
  prompts: Array<{ channel: string; ts: string }>;
  decision: Decision | null;
}

const CAS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3]))
  return 1
end
return 0
`;

const TTL_SECONDS = 30 * 86_400;

export class BotRuns {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  key(runId: string): string {
    return `${this.prefix}:bot:run:${runId}`;
  }

  async save(r: BotRun): Promise<void> {
    await this.redis.set(this.key(r.runId), JSON.stringify(r), 'EX', TTL_SECONDS);
    await this.redis.sadd(`${this.prefix}:bot:runs`, r.runId);
  }

  async get(runId: string): Promise<BotRun | null> {
    const json = await this.redis.get(this.key(runId));
    return json === null ? null : (JSON.parse(json) as BotRun);
  }

  async ids(): Promise<string[]> {
    return this.redis.smembers(`${this.prefix}:bot:runs`);
  }

  async forget(runId: string): Promise<void> {
    await this.redis.srem(`${this.prefix}:bot:runs`, runId);
  }

  /** Applies `change` atomically; it returns null to leave the record as it is. */
  async update(
    runId: string,
    change: (r: BotRun) => BotRun | null,
  ): Promise<{ before: BotRun; after: BotRun | null } | null> {
    for (let i = 0; i < 20; i++) {
      const json = await this.redis.get(this.key(runId));
      if (json === null) return null;
      const before = JSON.parse(json) as BotRun;
      const after = change(structuredClone(before));
      if (after === null) return { before, after: null };
      const ok = await this.redis.eval(CAS, 1, this.key(runId), json, JSON.stringify(after), TTL_SECONDS);
      if (ok === 1) return { before, after };
    }
    throw new Error(`bot record of run ${runId} is contended`);
  }

  /** True the first time it is called for this key (Slack retries, double clicks, final message). */
  async once(what: string, ttlSeconds: number): Promise<boolean> {
    return (await this.redis.set(`${this.prefix}:bot:once:${what}`, '1', 'EX', ttlSeconds, 'NX')) === 'OK';
  }
}
