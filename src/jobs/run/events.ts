import type { Redis } from 'ioredis';
import type { SideEffect } from './cas.js';
import type { RunKeys } from './keys.js';
import type { RunStatus, StepState, UnitStatus } from './types.js';

// Change events for the bot and the CLI: one Redis stream per run (`<prefix>:events:<runId>`),
// read with XREAD BLOCK so a follower that reconnects continues from the last id it saw.

export type RunEvent =
  | { type: 'run'; runId: string; status: RunStatus; version: number }
  | { type: 'unit'; runId: string; unitId: string; status: UnitStatus; version: number }
  | {
      type: 'step';
      runId: string;
      unitId: string;
      index: number;
      kind: string;
      state: StepState;
      percent: number | null;
      message: string | null;
      version: number;
    }
  | { type: 'alert'; runId: string; unitId: string; code: string; message: string; hint: string | null };

/**
 * The stream entry of an event. Events that carry a version get the run's version as the write
 * lands (a `version` field beside the JSON), not the one their writer read: writers of different
 * units do not serialise, so only the store knows the order their writes took.
 */
export function eventEffect(keys: RunKeys, event: RunEvent): SideEffect {
  return {
    op: 'xadd',
    key: keys.events(event.runId),
    maxlen: 10_000,
    fields: ['event', JSON.stringify(event)],
    stampVersion: 'version' in event,
  };
}

export interface EventBatch {
  lastId: string;
  events: RunEvent[];
}

/**
 * Events after `lastId` ('0' for all), waiting up to `blockMs` for new ones. XREAD BLOCK holds the
 * connection while it waits: give it a connection of its own.
 */
export async function readEvents(
  redis: Redis,
  keys: RunKeys,
  runId: string,
  lastId: string,
  blockMs: number,
): Promise<EventBatch> {
  const res = await redis.xread('COUNT', 500, 'BLOCK', blockMs, 'STREAMS', keys.events(runId), lastId);
  const entries = res?.[0]?.[1] ?? [];
  const events: RunEvent[] = [];
  let last = lastId;
  for (const [id, fields] of entries) {
    last = id;
    const json = fields[1];
    if (json === undefined) continue;
    const event = JSON.parse(json) as RunEvent;
    const stamped = fields[2] === 'version' ? Number(fields[3]) : Number.NaN;
    if ('version' in event && Number.isFinite(stamped)) event.version = stamped;
    events.push(event);
  }
  return { lastId: last, events };
}
