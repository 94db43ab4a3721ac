// A Slack message as the notify queue carries it: JSON-serialisable, posted by chat.postMessage.
export interface NotifyMessage {
  channel: string;
  text: string;
  blocks?: unknown[];
  thread_ts?: string;
  /** A thread reply also shown in the channel (the final report of a run). */
  reply_broadcast?: boolean;
  /** Run the message is about, for logs. */
  runId?: string;
}

/** Posts one message; throws on failure (classified by classifyPostError). */
export type PostMessage = (msg: NotifyMessage) => Promise<void>;

export type PostFailure =
  /** Slack said slow down, or is down: try the same message again after `delayMs`. */
  | { kind: 'retry'; delayMs: number; reason: string }
  /** A mistake that will not fix itself (unknown channel, bad token): give up on this message. */
  | { kind: 'fatal'; reason: string };
