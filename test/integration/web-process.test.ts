import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackDriver, type SlackSim, startSlackSim } from '../../lab/slack/index.js';
import { labChannels, labUsers } from '../../lab/slack/workspace.js';
import { exampleSecrets } from '../support/example-secrets.js';
import { freePort } from '../support/free-port.js';
import { spawnBascule } from '../support/spawn-bascule.js';

describe('bascule web process (HTTP receiver)', () => {
  let sim: SlackSim;
  beforeAll(async () => {
    sim = await startSlackSim({ botToken: 'xoxb-lab-web-test', signingSecret: 'lab-signing-secret-web' });
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('starts, answers signed slash commands, refuses unsigned ones, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const p = spawnBascule(['web'], {
      ...exampleSecrets,
      SLACK_BOT_TOKEN: sim.botToken,
      SLACK_SIGNING_SECRET: sim.signingSecret,
      SLACK_API_URL: sim.apiUrl,
      PORT: String(port),
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      BASCULE_CONFIG: 'config/sites.example.yaml',
    });
    const started = await p.waitForLine((l) => l.msg === 'bascule web started');
    expect(started).toMatchObject({ mode: 'http', port, level: 30 });
    // Bolt checked the token against the Web API at start-up.
    expect(sim.calls.some((c) => c.method === 'auth.test')).toBe(true);

    const driver = createSlackDriver({
      botUrl: `http://127.0.0.1:${port}/slack/events`,
      signingSecret: sim.signingSecret,
      sim,
    });
    const reply = await driver.slashCommand({
      command: '/bascule',
      text: 'help',
      user: labUsers.operator.id,
      channel: labChannels.infra.id,
    });
    expect(reply.status).toBe(200);
    await expect.poll(() => sim.responses.length).toBeGreaterThan(0);
    const posted = JSON.stringify(sim.responses.at(-1));
    expect(posted).toContain('site5');
    expect(posted).toContain('ephemeral');

    const before = sim.responses.length;
    const forged = await driver.slashCommand({
      command: '/bascule',
      text: 'help',
      user: labUsers.operator.id,
      channel: labChannels.infra.id,
      signing: 'wrong-secret',
    });
    expect(forged.status).toBe(401);
    const unsigned = await driver.slashCommand({
      command: '/bascule',
      text: 'help',
      user: labUsers.operator.id,
      channel: labChannels.infra.id,
      signing: 'unsigned',
    });
    expect(unsigned.status).toBe(401);
    expect(sim.responses.length).toBe(before);

    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);

    p.child.kill('SIGTERM');
    const { code } = await p.exit;
    expect(code).toBe(0);
    expect(p.lines.some((l) => l.msg === 'bascule web stopped')).toBe(true);
    // Secrets never reach the logs.
    const logs = JSON.stringify(p.lines) + p.stderr();
    expect(logs).not.toContain(sim.botToken);
    expect(logs).not.toContain(sim.signingSecret);
  });
});
