// Slack's Block Kit limits, enforced by every builder: at most 50 blocks per message, at most 3,000
// characters in a section's text, 150 in a header and 75 in a button label. Beyond that the
// builders summarise ("… and 12 more") instead of letting Slack reject the message.

export const MAX_BLOCKS = 50;
export const MAX_TEXT = 3000;
export const MAX_HEADER = 150;
export const MAX_BUTTON = 75;
/** The `text` fallback of a message (notifications, screen readers); Slack truncates at 40k. */
export const MAX_FALLBACK = 3000;

export interface Block {
  type: string;
  block_id?: string;
  [key: string]: unknown;
}

export function clip(text: string, max = MAX_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function section(text: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(text) } };
}

export function header(text: string): Block {
  return { type: 'header', text: { type: 'plain_text', text: clip(text, MAX_HEADER), emoji: true } };
}

export function context(text: string): Block {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: clip(text) }] };
}

export const divider: Block = { type: 'divider' };

/**
 * Packs lines into as few sections as the 3,000-character limit allows, using at most `maxBlocks`
 * sections; the lines that do not fit are summarised by `rest(count)` in the last one.
 */
export function packLines(lines: string[], maxBlocks: number, rest: (omitted: number) => string): Block[] {
  const texts: string[] = [];
  let current = '';
  let used = 0;
  for (const raw of lines) {
    const line = clip(raw, MAX_TEXT - 100);
    const candidate = current === '' ? line : `${current}\n${line}`;
    if (candidate.length <= MAX_TEXT - 100) {
      current = candidate;
      used++;
      continue;
    }
    if (texts.length + 1 >= maxBlocks) break;
    texts.push(current);
    current = line;
    used++;
  }
  if (current !== '') texts.push(current);
  const omitted = lines.length - used;
  if (omitted > 0 && texts.length > 0) {
    const last = texts.length - 1;
    texts[last] = clip(`${texts[last]}\n${rest(omitted)}`);
  }
  return texts.map(section);
}

/** Keeps the first blocks, replacing the overflow with one context block that says so. */
export function capBlocks(blocks: Block[], max = MAX_BLOCKS): Block[] {
  if (blocks.length <= max) return blocks;
  return [...blocks.slice(0, max - 1), context(`… ${blocks.length - max + 1} more block(s) not shown.`)];
}

export function formatMs(ms: number | null): string {
  if (ms === null) return '-';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
