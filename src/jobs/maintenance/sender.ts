import type { KnownBlock, WebClient } from '@slack/web-api';
import type { SlackMessage } from '../../domain/maintenance/slack-format.js';

// How maintenance messages leave Bascule. Injected, so the processor and the service are tested
// against the Slack stand-in with a real WebClient, and the bot can pass its own client.

export interface MessageSender {
  post(channel: string, message: SlackMessage): Promise<{ channel: string; ts: string }>;
}

export function slackSender(client: WebClient): MessageSender {
  return {
    async post(channel, message) {
      const res = await client.chat.postMessage({
        channel,
        text: message.text,
        blocks: message.blocks as KnownBlock[],
        unfurl_links: false,
      });
      return { channel: res.channel ?? channel, ts: res.ts ?? '' };
    },
  };
}
