import { formatLocal } from './local-time.js';

// Minimal Block Kit shapes used by the maintenance messages (a subset of Slack's KnownBlock).

export interface TextObject {
  type: 'mrkdwn' | 'plain_text';
  text: string;
}

export interface ButtonElement {
  type: 'button';
  action_id: string;
  text: { type: 'plain_text'; text: string };
  value: string;
  style?: 'primary' | 'danger';
}

export type Block =
  | { type: 'header'; text: { type: 'plain_text'; text: string } }
  | { type: 'section'; text: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'actions'; block_id?: string; elements: ButtonElement[] }
  | { type: 'divider' };

export interface SlackMessage {
  /** Notification and screen-reader text; also what clients without Block Kit show. */
  text: string;
  blocks: Block[];
}

/** Slack escapes: &, < and > in user text, so a reason cannot mention @channel or forge links. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `<!date^unix^{date_long_pretty} {time}|fallback>`: each reader sees the time in their own zone. */
export function slackDate(utcMs: number, zone: string): string {
  const unix = Math.floor(utcMs / 1000);
  return `<!date^${unix}^{date_long_pretty} {time}|${formatLocal(utcMs, zone)}>`;
}

export function mention(id: string): string {
  return id.startsWith('S') ? `<!subteam^${id}>` : `<@${id}>`;
}

export const mrkdwn = (text: string): TextObject => ({ type: 'mrkdwn', text });
export const plain = (text: string) => ({ type: 'plain_text' as const, text });
