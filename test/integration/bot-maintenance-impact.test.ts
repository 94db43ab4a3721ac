import { afterAll, beforeAll, expect, it } from 'vitest';
import { labChannels, labUsers } from '../../lab/slack/workspace.js';
import { type BotLab, startBotLab } from '../support/bot-lab.js';

// A window scheduled from Slack is announced with the impact per service, estimated from a real
// preflight plan read from the lab's vCenter and arrays (the bot has the lab's environment).

let t: BotLab;

beforeAll(async () => {
  t = await startBotLab();
});

afterAll(async () => {
  await t?.stop();
});

it('announces a window scheduled from Slack with the downtime per service from the plan', async () => {
  const before = t.sim.store.messages.length;
  const res = await t.driver.slashCommand({
    command: '/maintenance',
    text: 'schedule site5 --from "2027-01-20 07:00" --to "2027-01-21 19:00" --reason "Transformer replacement"',
    user: labUsers.operator.id,
    channel: labChannels.infra.id,
  });
  expect(res.status).toBe(200);
  await expect
    .poll(
      () => t.sim.store.messages.slice(before).filter((m) => m.channel === labChannels.announce.id).length,
      {
        timeout: 20_000,
      },
    )
    .toBeGreaterThan(0);
  const announcement = t.sim.store.messages.slice(before).find((m) => m.channel === labChannels.announce.id);
  const text = JSON.stringify(announcement?.blocks ?? announcement?.text);
  expect(text).toContain('Transformer replacement');
  // ldap-01 is on a cold datastore of site5: its service stops for its unit's estimated time.
  expect(text).toMatch(/ldap/);
  expect(text).not.toMatch(/not estimated yet/i);
});
