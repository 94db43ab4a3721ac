import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import type { Topology } from '../config/schema.js';
import type { GrammarContext } from '../domain/command-grammar.js';
import type { MoveRequest, PreflightResult } from '../domain/preflight/types.js';
import type { NotifyMessage } from '../jobs/notify/types.js';
import type { RunControl } from '../jobs/run/control.js';
import type { Logger } from '../log.js';
import type { Access } from './access.js';
import type { BotRuns } from './bot-runs.js';
import type { ResponseUrlPoster } from './response-url.js';

// What every command and action handler shares.

export interface BotContext {
  topology: Topology;
  grammar: GrammarContext;
  redis: Redis;
  control: RunControl;
  runs: BotRuns;
  access: Access;
  client: WebClient;
  /** Replies to a slash command through its response_url. */
  responseUrl: ResponseUrlPoster;
  log: Logger;
  /** Gathers a preflight for a request (vCenter, arrays, active runs). */
  preflight(request: MoveRequest): Promise<PreflightResult>;
  now(): number;
  /** Starts following a run's events to keep its card and thread up to date. */
  follow(runId: string): void;
  /**
   * Thread messages of a run (failures, stalls, the final report) go through the notify queue:
   * persisted in Redis, one post per second per channel, held through a Slack outage or 429 and
   * delivered in order afterwards.
   */
  notify: { send(msg: NotifyMessage): Promise<unknown> };
}
