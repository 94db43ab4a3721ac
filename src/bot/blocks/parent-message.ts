import { type Block, context, section } from './limits.js';

// The one message a command posts in the channel: what was asked and by whom, and where it stands.
// Once the run is approved it is replaced by the live progress card.

export function parentBlocks(o: { user: string; command: string; status: string }): Block[] {
  return [section(`<@${o.user}> asked: \`${o.command}\``), context(o.status)];
}
