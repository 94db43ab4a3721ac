import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labChannels, labUsers, type SlackMessage } from '../../lab/slack/index.js';
import { APPROVE_ACTION, REJECT_ACTION } from '../../src/bot/blocks/approval-prompt.js';
import { PAUSE_ACTION, RESUME_ACTION, RETRY_ACTION } from '../../src/bot/blocks/progress-card.js';
import { history } from '../../src/jobs/run/audit.js';
import type { RunRecord } from '../../src/jobs/run/types.js';
import { type BotLab, startBotLab } from '../support/bot-lab.js';

// The Slack bot end to end: signed requests to the real Bolt app's HTTP receiver, Web API calls to
// the lab's Slack stand-in, real Redis, and the run engine with the real step executors on the lab.
// The tests share one lab and run in file order: the Live Volume unit LV-SITE5-01 goes to lognes
// and back several times, so a test picked alone with -t may find it on the other side.

let t: BotLab;
const infra = labChannels.infra.id;
const alice = labUsers.operator.id;
const bob = labUsers.approver.id;
const dave = labUsers.outsider.id;
const carol = labUsers.approver2.id;

beforeAll(async () => {
  t = await startBotLab();
});

afterAll(async () => {
  await t?.stop();
});

const has = (m: SlackMessage, s: string) => JSON.stringify(m.blocks ?? m.text).includes(s);

const topLevel = (m: SlackMessage) => m.thread_ts === undefined || m.thread_ts === m.ts;

/** The parent message of a command, among the messages posted after the first `after`. */
function parentOf(typed: string, after = 0): SlackMessage | undefined {
  return t.sim.store.messages
    .slice(after)
    .find((m) => m.channel === infra && topLevel(m) && m.text.includes(typed));
}

/** Parent messages the bot posted for this command (chat.postMessage outside a thread). */
const parentsPosted = (typed: string) =>
  t.sim.calls.filter(
    (c) =>
      c.method === 'chat.postMessage' && c.ok && !c.body.thread_ts && String(c.body.text).includes(typed),
  ).length;

async function command(command: string, text: string, user: string = alice, channel: string = infra) {
  const res = await t.driver.slashCommand({ command, text, user, channel });
  expect(res.status).toBe(200);
  return res;
}

/** An answer given in the acknowledgement itself (bad input, wrong channel). */
function ackAnswer(res: { json: unknown }): { text: string; responseType: string } {
  const body = (res.json ?? {}) as { text?: unknown; response_type?: unknown };
  return { text: String(body.text ?? ''), responseType: String(body.response_type ?? '') };
}

async function answer(responseUrl: string): Promise<string> {
  await expect.poll(() => t.answers(responseUrl).length, { timeout: 10_000 }).toBeGreaterThan(0);
  return t.answers(responseUrl).join('\n');
}

/** Posts /migrate and waits for its approval prompt; returns the parent, the prompt and the run id. */
async function migrateUntilPrompt(text: string, cmd = '/migrate') {
  const after = t.sim.store.messages.length;
  const res = await command(cmd, text);
  await expect.poll(() => parentOf(`${cmd} ${text}`, after), { timeout: 20_000 }).toBeDefined();
  const parent = parentOf(`${cmd} ${text}`, after) as SlackMessage;
  const deadline = Date.now() + 60_000;
  let prompt: SlackMessage | undefined;
  while (!prompt) {
    prompt = t.thread(infra, parent.ts).find((m) => has(m, APPROVE_ACTION));
    if (!prompt && Date.now() > deadline) {
      throw new Error(`no approval prompt; thread: ${JSON.stringify(t.thread(infra, parent.ts), null, 1)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const runId = /run `?([A-Za-z0-9_-]+)`?:/.exec(prompt.text)?.[1] ?? '';
  expect(runId).not.toBe('');
  return { res, parent, prompt, runId };
}

const run = (id: string) => t.bot.ctx.control.store.require(id);
const click = (user: string, messageTs: string, actionId = APPROVE_ACTION) =>
  t.driver.blockAction({ user, channel: infra, messageTs, actionId });

describe('bad input and refusals', () => {
  it.each([
    ['/migrate', 'site9 --to lognes', /unknown site "site9".*Usage: \/migrate SITE --to SITE/s],
    ['/migrate', 'site5', /missing --to SITE.*Usage: \/migrate/s],
    ['/migrate', 'site5 --to lognes --bogus', /unknown option --bogus.*Usage/s],
    ['/migrate', 'site5 --to lognes --mode warm', /--mode must be cold, hot or zerto/],
    ['/migrate', 'site5 --to lognes --datastore SAN-NOPE', /unknown datastore or VPG "SAN-NOPE"/],
    ['/migrate', 'site5 --to lognes --at someday', /--at "someday" is not a time.*Usage/s],
    ['/failback', '', /missing the site to bring the VMs back to.*Usage: \/failback/s],
    ['/bascule', 'frobnicate', /unknown command "frobnicate".*\/bascule help/s],
    ['/bascule', 'pause', /missing RUN id.*Usage: \/bascule pause RUN/s],
  ])('%s %s answers what is wrong and the usage, ephemerally', async (cmd, text, expected) => {
    const before = t.sim.store.messages.length;
    const res = await command(cmd, text);
    expect(ackAnswer(res)).toEqual({ text: expect.stringMatching(expected), responseType: 'ephemeral' });
    expect(t.sim.store.messages.length).toBe(before);
  });

  it('/bascule help lists the commands', async () => {
    const res = await command('/bascule', 'help');
    const text = await answer(res.responseUrl);
    expect(text).toContain('/migrate SITE --to SITE');
    expect(text).toContain('/bascule retry RUN');
  });

  it('refuses commands from a channel that is not configured', async () => {
    const before = t.sim.store.messages.length;
    const res = await command('/migrate', 'site5 --to lognes', alice, labChannels.announce.id);
    expect(ackAnswer(res).text).toMatch(/does not take commands in this channel.*<#C0LABINFRA>/s);
    expect(t.sim.store.messages.length).toBe(before);
  });

  it.each([
    ['unsigned', 'unsigned' as const],
    ['wrongly signed', 'wrong-secret' as const],
    ['tampered', 'tampered' as const],
    ['replayed after 10 minutes', { ageSeconds: 600 }],
  ])('%s requests get no action', async (_name, signing) => {
    const before = { messages: t.sim.store.messages.length, responses: t.sim.responses.length };
    const res = await t.driver.slashCommand({
      command: '/migrate',
      text: 'site5 --to lognes',
      user: alice,
      channel: infra,
      signing,
    });
    expect(res.status).toBe(401);
    // A correct request afterwards is answered, so nothing was merely delayed.
    const ok = await command('/bascule', 'help');
    await answer(ok.responseUrl);
    expect(t.sim.store.messages.length).toBe(before.messages);
    expect(t.sim.responses.length).toBe(before.responses + 1);
  });

  it('refuses to start a run for someone who is not an operator, before any preflight', async () => {
    const before = t.sim.store.messages.length;
    const res = await command('/migrate', 'site5 --to lognes', dave);
    expect(await answer(res.responseUrl)).toMatch(/Only operators .* may start runs.*--dry-run/s);
    expect(t.sim.store.messages.length).toBe(before);
  });

  it('/bascule status on an unknown run says how to find the id', async () => {
    const res = await command('/bascule', 'status nope123');
    expect(await answer(res.responseUrl)).toMatch(/no run nope123.*bascule history/s);
  });
});

describe('preflight in the thread', () => {
  it('/preflight posts one parent message and the blocking findings first, with their fix', async () => {
    const text = 'site5 --to lognes --datastore SAN-SITE5-PROD-01';
    await command('/preflight', text);
    await expect.poll(() => parentOf(`/preflight ${text}`), { timeout: 20_000 }).toBeDefined();
    const parent = parentOf(`/preflight ${text}`) as SlackMessage;
    expect(parent.text).toContain(`<@${alice}>`);
    await expect.poll(() => t.thread(infra, parent.ts).length, { timeout: 60_000 }).toBeGreaterThan(0);
    const report = t.thread(infra, parent.ts)[0] as SlackMessage;
    expect(report.text).toMatch(/Preflight migrate site5 → lognes: BLOCKED/);
    const blocks = JSON.stringify(report.blocks);
    expect(blocks).toContain('REDUNDANCY_SAME_STOP_GROUP');
    expect(blocks.indexOf('REDUNDANCY_SAME_STOP_GROUP')).toBeLessThan(blocks.indexOf('Capacity at'));
    expect(blocks).toContain('Plan hash');
    expect(blocks).not.toContain(APPROVE_ACTION);
    await expect
      .poll(() => JSON.stringify(t.sim.store.message(infra, parent.ts)?.blocks))
      .toContain('Blocked by preflight');
  });
});

describe('/migrate with four-eyes approval', () => {
  it('expires an approval nobody gave in time: the click is refused, the prompt says so, the run is cancelled', async () => {
    const { prompt, runId, parent } = await migrateUntilPrompt('site5 --to lognes --datastore LV-SITE5-01');
    expect((await run(runId)).status).toBe('awaiting-approval');
    t.clock.skew = 2 * 3_600_000;
    try {
      const c = await click(bob, prompt.ts);
      expect(await answer(c.responseUrl)).toMatch(/expired.*nothing was changed/s);
    } finally {
      t.clock.skew = 0;
    }
    expect((await run(runId)).status).toBe('cancelled');
    const updated = t.sim.store.message(infra, prompt.ts);
    expect(JSON.stringify(updated?.blocks)).toMatch(/expired/);
    expect(JSON.stringify(updated?.blocks)).not.toContain(APPROVE_ACTION);
    expect(JSON.stringify(t.sim.store.message(infra, parent.ts)?.blocks)).toMatch(/expired/);
  }, 120_000);

  it('runs from command to final message: self-approval and outsiders refused, retries ignored, 429s ridden out', async () => {
    const text = 'site5 --to lognes --datastore LV-SITE5-01';
    const parentsBefore = parentsPosted(`/migrate ${text}`);
    const { res, parent, prompt, runId } = await migrateUntilPrompt(text);
    expect(parentsPosted(`/migrate ${text}`)).toBe(parentsBefore + 1);

    // Slack redelivers the same command: no second parent message, no second run.
    const again = await t.driver.retry(res.request, { num: 1, reason: 'http_timeout' });
    expect(again.status).toBe(200);

    // The requester cannot approve their own run.
    const self = await click(alice, prompt.ts);
    expect(await answer(self.responseUrl)).toMatch(/You requested this run, so you cannot approve it/);
    // Someone who is not an approver is refused too.
    const outsider = await click(dave, prompt.ts);
    expect(await answer(outsider.responseUrl)).toMatch(/not an approver/);
    expect((await run(runId)).status).toBe('awaiting-approval');
    expect(JSON.stringify(t.sim.store.message(infra, prompt.ts)?.blocks)).toContain(APPROVE_ACTION);

    // Slack rate-limits the bot for a while, from the approval on.
    await t.sim.control.fault({ kind: 'rate-limit', forMs: 1_500, retryAfterSec: 1 });
    const ok = await click(bob, prompt.ts);
    expect(ok.status).toBe(200);
    await expect
      .poll(async () => (await run(runId)).status, { timeout: 20_000 })
      .not.toBe('awaiting-approval');
    const approved = await run(runId);
    expect(approved.approvals.map((a) => a.user)).toEqual([bob]);

    await expect
      .poll(async () => (await run(runId)).status, { timeout: 120_000, interval: 200 })
      .toBe('succeeded');
    // The final message: in the thread, broadcast to the channel, with the report.
    await expect
      .poll(() => t.thread(infra, parent.ts).find((m) => m.subtype === 'thread_broadcast'), {
        timeout: 30_000,
      })
      .toBeDefined();
    const final = t.thread(infra, parent.ts).find((m) => m.subtype === 'thread_broadcast') as SlackMessage;
    expect(final.text).toContain(`Run ${runId} succeeded`);
    expect(JSON.stringify(final.blocks)).toContain('LV-SITE5-01');

    // Every copy of the prompt says who approved, without buttons.
    const decided = JSON.stringify(t.sim.store.message(infra, prompt.ts)?.blocks);
    expect(decided).toContain(`approved by <@${bob}>`);
    expect(decided).not.toContain(APPROVE_ACTION);
    // The parent became the progress card and ended on the final state.
    await expect
      .poll(() => JSON.stringify(t.sim.store.message(infra, parent.ts)?.blocks), { timeout: 10_000 })
      .toMatch(/succeeded.*LV-SITE5-01.*100%/s);
    const updates = t.sim.calls.filter((c) => c.method === 'chat.update' && c.body.ts === parent.ts);
    expect(updates.length).toBeGreaterThan(1);
    // The stand-in did answer 429 during the run, and the bot still got everything through.
    expect(t.sim.calls.some((c) => c.status === 429)).toBe(true);

    // The redelivered command never made a second run.
    const runs: RunRecord[] = await t.bot.ctx.control.store.list(50);
    expect(runs.filter((r) => r.status !== 'cancelled' && r.planHash === approved.planHash)).toHaveLength(1);
    expect(parentsPosted(`/migrate ${text}`)).toBe(parentsBefore + 1);

    const status = await command('/bascule', `status ${runId}`);
    expect(await answer(status.responseUrl)).toMatch(new RegExp(`Run \`${runId}\` succeeded, 100%`));
    const hist = await command('/bascule', `history ${runId}`);
    expect(await answer(hist.responseUrl)).toMatch(/run-created[\s\S]*run-approved/);
  }, 240_000);
});

describe('the card buttons, /failback, /failover, rejection', () => {
  it('pauses and resumes from the card (outsiders refused), and /failback brings the unit back', async () => {
    // No worker for a while: the approved run waits in the queue, so the card can be clicked at leisure.
    await t.engine.stop();
    const { parent, prompt, runId } = await migrateUntilPrompt('site5 --datastore LV-SITE5-01', '/failback');
    const ok = await click(carol, prompt.ts);
    expect(await answer(ok.responseUrl)).toMatch(/Approved: run `.*` is starting/);
    expect((await run(runId)).status).toBe('queued');
    const card = () => JSON.stringify(t.sim.store.message(infra, parent.ts)?.blocks);
    await expect.poll(card, { timeout: 10_000 }).toContain(PAUSE_ACTION);
    expect(card()).toMatch(/failback lognes → site5 — queued/);

    const refused = await click(dave, parent.ts, PAUSE_ACTION);
    expect(await answer(refused.responseUrl)).toMatch(/You may not pause run/);
    expect((await run(runId)).status).toBe('queued');

    const paused = await click(bob, parent.ts, PAUSE_ACTION);
    expect(await answer(paused.responseUrl)).toMatch(/paused run .* \(now paused\)/);
    await expect.poll(card, { timeout: 10_000 }).toContain(RESUME_ACTION);
    const resumed = await click(carol, parent.ts, RESUME_ACTION);
    expect(await answer(resumed.responseUrl)).toMatch(/resumed run/);
    expect(t.thread(infra, parent.ts).map((m) => m.text)).toEqual(
      expect.arrayContaining([expect.stringMatching(/<@U0LABBOB01> :double_vertical_bar: paused run/)]),
    );

    t.engine.start();
    await expect
      .poll(async () => (await run(runId)).status, { timeout: 120_000, interval: 200 })
      .toBe('succeeded');
    await expect
      .poll(() => t.thread(infra, parent.ts).find((m) => m.subtype === 'thread_broadcast')?.text, {
        timeout: 30_000,
      })
      .toContain(`Run ${runId} succeeded`);
  }, 240_000);

  it('a rejected run never starts; every copy of the prompt says who rejected it', async () => {
    const { prompt, runId } = await migrateUntilPrompt('site5 --to lognes --datastore LV-SITE5-01');
    const outsider = await click(dave, prompt.ts, REJECT_ACTION);
    expect(await answer(outsider.responseUrl)).toMatch(/Only an approver/);
    const no = await click(bob, prompt.ts, REJECT_ACTION);
    expect(await answer(no.responseUrl)).toMatch(/rejected; nothing was changed/);
    expect((await run(runId)).status).toBe('cancelled');
    const decided = JSON.stringify(t.sim.store.message(infra, prompt.ts)?.blocks);
    expect(decided).toContain(`rejected by <@${bob}>`);
    expect(decided).not.toContain(APPROVE_ACTION);
    // A late click on the old prompt changes nothing.
    const late = await t.driver
      .blockAction({ user: carol, channel: infra, messageTs: prompt.ts, actionId: 'x' })
      .catch((err: unknown) => String(err));
    expect(String(late)).toMatch(/no element with action_id/);
  }, 120_000);

  it('the requester may withdraw a run awaiting approval with /bascule cancel', async () => {
    const { prompt, runId } = await migrateUntilPrompt('site5 --to lognes --datastore LV-SITE5-01');
    const res = await command('/bascule', `cancel ${runId}`);
    expect(await answer(res.responseUrl)).toMatch(/cancelled before approval/);
    expect((await run(runId)).status).toBe('cancelled');
    expect(JSON.stringify(t.sim.store.message(infra, prompt.ts)?.blocks)).toContain('was cancelled by');
  }, 120_000);

  it('/failover while the source still answers is blocked by the fencing guard, saying what to do', async () => {
    const before = (await t.bot.ctx.control.store.list(100)).length;
    const after = t.sim.store.messages.length;
    await command('/failover', 'site5 --to lognes --datastore LV-SITE5-01');
    await expect.poll(() => parentOf('/failover site5', after), { timeout: 20_000 }).toBeDefined();
    const parent = parentOf('/failover site5', after) as SlackMessage;
    await expect
      .poll(() => JSON.stringify(t.sim.store.message(infra, parent.ts)?.blocks), { timeout: 60_000 })
      .toMatch(/Blocked by preflight/);
    const report = t.thread(infra, parent.ts)[0];
    expect(report?.text).toMatch(/Preflight failover site5 → lognes/);
    const blocks = JSON.stringify(report?.blocks);
    expect(blocks).toContain('FENCING_SOURCE_ANSWERS');
    expect(blocks).toMatch(/site5 still answers \(dsm .*Storage Center.*, host esx-site5-01/);
    expect(blocks).toContain('--override-fencing');
    expect(blocks).toContain('/migrate');
    expect(t.thread(infra, parent.ts).some((m) => has(m, APPROVE_ACTION))).toBe(false);
    expect((await t.bot.ctx.control.store.list(100)).length).toBe(before);
  }, 120_000);

  it('/failover --override-fencing needs two distinct approvers, never the requester, recorded in the audit', async () => {
    // No worker: the approved run waits in the queue and is cancelled before anything runs.
    await t.engine.stop();
    let started = false;
    try {
      const { prompt, runId } = await migrateUntilPrompt(
        'site5 --to lognes --datastore LV-SITE5-01 --override-fencing',
        '/failover',
      );
      const promptText = JSON.stringify(prompt.blocks);
      expect(promptText).toContain('FAILOVER');
      expect(promptText).toMatch(/Fencing guard overridden.*site5 still answers/);
      expect(promptText).toContain('2 approver(s) other than the requester');
      expect((await run(runId)).requiredApprovals).toBe(2);

      const self = await click(alice, prompt.ts);
      expect(await answer(self.responseUrl)).toMatch(/cannot approve it too/);
      const first = await click(bob, prompt.ts);
      expect(await answer(first.responseUrl)).toMatch(/needs 1 more approver/);
      const twice = await click(bob, prompt.ts);
      expect(await answer(twice.responseUrl)).toMatch(/already approved/);
      expect((await run(runId)).status).toBe('awaiting-approval');
      // The prompt shows who approved so far, its buttons still there for the second approver.
      const partial = JSON.stringify(t.sim.store.message(infra, prompt.ts)?.blocks);
      expect(partial).toContain(`so far: <@${bob}>`);
      expect(partial).toContain(APPROVE_ACTION);
      const second = await click(carol, prompt.ts);
      expect(await answer(second.responseUrl)).toMatch(/is starting/);
      const queued = await run(runId);
      expect(queued.status).toBe('queued');
      expect(queued.approvals.map((a) => a.user)).toEqual([bob, carol]);
      expect(queued.fencing).toMatchObject({ verdict: 'source-answers', override: true });

      const audit = await history(t.redis, t.bot.ctx.control.store.keys, runId);
      expect(audit.filter((e) => e.type === 'approval-recorded').map((e) => e.user)).toEqual([bob]);
      const approved = audit.find((e) => e.type === 'run-approved');
      expect(approved).toMatchObject({
        user: carol,
        details: { approvers: [bob, carol], fencingOverride: true, required: 2 },
      });
      const cancel = await command('/bascule', `cancel ${runId}`, bob);
      expect(await answer(cancel.responseUrl)).toMatch(/cancelled run/);
      t.engine.start();
      started = true;
      // The worker ends the queued run without running a step; its locks are released.
      await expect
        .poll(async () => (await run(runId)).status, { timeout: 60_000, interval: 200 })
        .toBe('cancelled');
      expect((await run(runId)).units['LV-SITE5-01']?.steps.every((s) => s.state === 'pending')).toBe(true);
    } finally {
      if (!started) t.engine.start();
    }
  }, 180_000);
});

describe('scheduled runs and several approvers', () => {
  it('--at puts the time on the button; once approved the run waits for it and can still be cancelled', async () => {
    const { prompt, runId, parent } = await migrateUntilPrompt(
      'site5 --to lognes --datastore LV-SITE5-01 --at 23:59',
    );
    expect(JSON.stringify(prompt.blocks)).toMatch(/Approve and run at .*23:59 \(Europe\/Paris\)/);
    const ok = await click(bob, prompt.ts);
    expect(await answer(ok.responseUrl)).toMatch(/Approved: run .* starts at/);
    // Queued as a delayed job of the run queue, not a timer in the bot.
    expect((await run(runId)).status).toBe('queued');
    const scheduled = await t.bot.ctx.control.scheduledJob(runId);
    const notBefore = Date.parse((await run(runId)).notBefore ?? '');
    // The job's delay is counted from when it was added, a moment after the approval's clock.
    expect(scheduled?.startsAt).toBeGreaterThanOrEqual(notBefore);
    expect(scheduled?.startsAt).toBeLessThan(notBefore + 60_000);
    await expect
      .poll(() => JSON.stringify(t.sim.store.message(infra, parent.ts)?.blocks))
      .toMatch(/approved; starts at/);
    const res = await command('/bascule', `cancel ${runId}`, bob);
    expect(await answer(res.responseUrl)).toMatch(/cancelled run/);
    expect((await run(runId)).status).toBe('cancelled');
    // Cancelling removed the delayed job: nothing will start at 23:59.
    expect(await t.bot.ctx.control.scheduledJob(runId)).toBeNull();
  }, 120_000);

  it('approvals.required = 2 needs two distinct approvers other than the requester', async () => {
    const approvals = t.topology.approvals;
    const required = approvals.required;
    approvals.required = 2;
    try {
      const { prompt, runId } = await migrateUntilPrompt('site5 --to lognes --datastore LV-SITE5-01');
      const first = await click(bob, prompt.ts);
      expect(await answer(first.responseUrl)).toMatch(/needs 1 more approver/);
      const twice = await click(bob, prompt.ts);
      expect(await answer(twice.responseUrl)).toMatch(/already approved/);
      expect((await run(runId)).status).toBe('awaiting-approval');
      expect(JSON.stringify(t.sim.store.message(infra, prompt.ts)?.blocks)).toContain(APPROVE_ACTION);
      const second = await click(carol, prompt.ts);
      expect(await answer(second.responseUrl)).toMatch(/is starting/);
      await expect
        .poll(async () => (await run(runId)).status, { timeout: 120_000, interval: 200 })
        .toBe('succeeded');
      expect(JSON.stringify(t.sim.store.message(infra, prompt.ts)?.blocks)).toContain(
        `approved by <@${bob}>, <@${carol}>`,
      );
    } finally {
      approvals.required = required;
    }
  }, 240_000);
});

describe('a step failure', () => {
  it('is posted in the thread, the final message says what failed, and Retry on the card finishes the run', async () => {
    t.lab.handles?.dsm.control.failNextSwap(
      'Swap roles failed: the remote Storage Center did not respond in time.',
    );
    const { parent, prompt, runId } = await migrateUntilPrompt('site5 --datastore LV-SITE5-01', '/failback');
    await click(bob, prompt.ts);
    await expect
      .poll(async () => (await run(runId)).status, { timeout: 120_000, interval: 200 })
      .toBe('failed');
    await expect
      .poll(
        () =>
          t
            .thread(infra, parent.ts)
            .find((m) => /:red_circle: `LV-SITE5-01` step \d+ \(swap-roles\) failed/.test(m.text)),
        {
          timeout: 30_000,
        },
      )
      .toBeDefined();
    await expect
      .poll(() => t.thread(infra, parent.ts).find((m) => m.subtype === 'thread_broadcast')?.text, {
        timeout: 30_000,
      })
      .toContain(`Run ${runId} failed`);
    const card = () => JSON.stringify(t.sim.store.message(infra, parent.ts)?.blocks);
    await expect.poll(card, { timeout: 10_000 }).toContain(RETRY_ACTION);

    const retry = await click(bob, parent.ts, RETRY_ACTION);
    expect(await answer(retry.responseUrl)).toMatch(/retried the failed unit/);
    await expect
      .poll(async () => (await run(runId)).status, { timeout: 120_000, interval: 200 })
      .toBe('succeeded');
    await expect
      .poll(
        () =>
          t
            .thread(infra, parent.ts)
            .filter((m) => m.subtype === 'thread_broadcast')
            .map((m) => m.text),
        {
          timeout: 30_000,
        },
      )
      .toContain(`Run ${runId} succeeded: failback lognes → site5`);
  }, 240_000);
});

describe('--at through the run queue', () => {
  it('a run approved with --at starts from the queue while the bot is down; the new bot says so in the thread', async () => {
    // Far enough ahead for the preflight and the click; second precision, as --at takes it.
    const at = new Date(Date.now() + 30_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const { parent, prompt, runId } = await migrateUntilPrompt(
      `site5 --to lognes --datastore LV-SITE5-01 --at ${at}`,
    );
    const ok = await click(bob, prompt.ts);
    expect(await answer(ok.responseUrl)).toMatch(/starts at/);
    expect((await run(runId)).status).toBe('queued');
    expect(await t.bot.ctx.control.scheduledJob(runId)).not.toBeNull();
    await t.restartBot(async () => {
      // No bot at all: the worker takes the delayed job at its time.
      await expect
        .poll(async () => (await run(runId)).status, { timeout: 150_000, interval: 250 })
        .toBe('succeeded');
      expect(Date.parse((await run(runId)).startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(at));
    });
    await expect
      .poll(
        () => t.thread(infra, parent.ts).find((m) => /started at its scheduled time/.test(m.text))?.text,
        {
          timeout: 30_000,
        },
      )
      .toContain(runId);
    await expect
      .poll(() => t.thread(infra, parent.ts).find((m) => m.subtype === 'thread_broadcast')?.text, {
        timeout: 30_000,
      })
      .toContain(`Run ${runId} succeeded`);
  }, 300_000);
});
