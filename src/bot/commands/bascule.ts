import type { App } from '@slack/bolt';
import type { Topology } from '../../config/schema.js';
import type { Logger } from '../../log.js';

// `/bascule help` (and `/bascule` alone). Later subcommands (status, history, pause, …) hang off
// the same handler; anything unknown gets the usage, never silence.

export interface SlashUsage {
  usage: string;
  summary: string;
}

/** Help lists only the commands this deployment actually registered. */
export function helpMessage(topology: Topology, usages: SlashUsage[]): string {
  const sites = topology.sites.map((s) => `\`${s.name}\``).join(' and ');
  return [
    '*Bascule* moves VMs between the two server rooms, and back.',
    `Sites: ${sites}.`,
    ...usages.map((u) => `• \`${u.usage}\` — ${u.summary}`),
  ].join('\n');
}

const basculeUsage: SlashUsage = { usage: '/bascule help', summary: 'this message' };

export function registerBasculeCommand(
  app: App,
  deps: { topology: Topology; log: Logger; usages?: SlashUsage[] },
): void {
  const usages = [basculeUsage, ...(deps.usages ?? [])];
  app.command('/bascule', async ({ command, ack, respond }) => {
    await ack();
    const words = command.text.trim().split(/\s+/).filter(Boolean);
    const sub = words[0] ?? 'help';
    if (sub === 'help') {
      await respond({ response_type: 'ephemeral', text: helpMessage(deps.topology, usages) });
      return;
    }
    deps.log.info({ user: command.user_id, sub }, 'unknown /bascule subcommand');
    await respond({
      response_type: 'ephemeral',
      text: `\`/bascule ${sub}\` is not a Bascule command.\n\n${helpMessage(deps.topology, usages)}`,
    });
  });
}
