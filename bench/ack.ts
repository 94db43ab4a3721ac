import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { resolve } from 'node:path';
import { signature } from '../lab/slack/driver.js';
import { labChannels, labUsers, labWorkspace, startSlackSim } from '../lab/slack/index.js';
import { slashCommandForm } from '../lab/slack/payloads.js';
import { exampleSecrets } from '../test/support/example-secrets.js';
import { freePort } from '../test/support/free-port.js';
import { spawnBascule } from '../test/support/spawn-bascule.js';

// Slash-command acknowledgement benchmark: the time from sending a signed slash command to the
// bot's HTTP receiver until its HTTP 200, with 50 requests in flight, for a mix of commands (help,
// status, bad input answered with the usage, a refused channel). The bot is the real `bascule web`
// process (HTTP receiver, real Redis: the dedupe SET NX and the replies happen after the ack), in
// its own process so that the load generator and the Slack stand-in do not share its event loop.
// Slack wants the ack within 3 s; the target is p99 < 100 ms.
//
// The load generator and the Slack stand-in (which receives the bot's response_url posts) share
// one process, separate from the bot, but all three share the machine's cores: on a 2-core machine
// the bot does not have a core to itself, so the CPU time each side used is printed too. With a
// fixed number of requests in flight (a closed loop), the median is about in-flight ÷ throughput:
// it follows the CPU each request costs the whole machine, and whatever else runs on it.
//
// `npm run bench -- ack [--requests N] [--concurrency N] [--cpu-prof DIR]`

const INFRA = 'C05INFRAOPS'; // the ops channel of config/sites.example.yaml

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

/** CPU time (user + system) of a process so far, from /proc (Linux); null elsewhere. */
function cpuMsOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces): utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

export async function main(args: string[]): Promise<number> {
  const total = flag(args, 'requests', 1000);
  const concurrency = flag(args, 'concurrency', 50);
  const profIndex = args.indexOf('--cpu-prof');
  const profDir = profIndex >= 0 ? args[profIndex + 1] : undefined;
  const workspace = labWorkspace(['site5', 'lognes']);
  const sim = await startSlackSim({
    botToken: 'xoxb-bench-ack',
    signingSecret: 'bench-ack-signing-secret',
    channels: [...workspace.channels, { id: INFRA, name: 'infra-ops-example' }],
  });
  const port = await freePort();
  const web = spawnBascule(['web'], {
    ...exampleSecrets,
    SLACK_BOT_TOKEN: sim.botToken,
    SLACK_SIGNING_SECRET: sim.signingSecret,
    SLACK_API_URL: sim.apiUrl,
    PORT: String(port),
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    BASCULE_CONFIG: 'config/sites.example.yaml',
    LOG_LEVEL: 'warn',
    // A V8 CPU profile of the bot, written when it stops (open it in Chrome DevTools).
    ...(profDir
      ? {
          NODE_OPTIONS: `--import=${new URL('./support/cpu-profile.mjs', import.meta.url).href}`,
          BENCH_CPU_PROF_DIR: resolve(profDir),
        }
      : {}),
  });
  // Requests are built the way the lab's driver builds them (a response_url and trigger id issued by
  // the stand-in, Slack's form body, a fresh v0 signature) but sent over node:http with kept-alive
  // connections: the driver's fetch() costs the generator more CPU than the bot spends answering,
  // CPU taken from the bot on a 2-core machine. The clock starts when the request is written.
  const botUrl = new URL(`http://127.0.0.1:${port}/slack/events`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  const origin = { workspace: sim.workspace, verificationToken: randomBytes(12).toString('hex') };
  const user = labUsers.operator.id;
  type Prepared = { body: string; headers: Record<string, string> };
  // A request is issued (trigger id, response_url) and signed before it is timed: that work is the
  // Slack side's, and done during the run it took CPU from the bot it measures (the signature's
  // timestamp stays valid for 5 minutes; a run lasts seconds).
  const prepare = async (m: { command: string; text: string; channel: string }): Promise<Prepared> => {
    const issued = await sim.control.issue({ kind: 'command', channel: m.channel, user });
    const body = slashCommandForm(origin, { ...m, user, ...issued }).toString();
    const ts = Math.floor(Date.now() / 1000);
    return {
      body,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
        'x-slack-request-timestamp': String(ts),
        'x-slack-signature': signature(sim.signingSecret, ts, body),
      },
    };
  };
  const post = async ({ body, headers }: Prepared) => {
    const t0 = performance.now();
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(botUrl, { method: 'POST', headers, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
    return { status, ms: performance.now() - t0 };
  };
  const send = async (m: { command: string; text: string; channel: string }) => post(await prepare(m));
  const mix = [
    { command: '/bascule', text: 'help', channel: INFRA },
    { command: '/bascule', text: 'status', channel: INFRA },
    { command: '/migrate', text: 'site9 --to lognes', channel: INFRA },
    { command: '/migrate', text: 'site5 --to lognes', channel: labChannels.announce.id },
  ];
  try {
    // Wait until the receiver answers, then warm up (JIT, connection pools), not counted.
    for (let i = 0; ; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (i > 300) throw new Error(`bascule web did not start: ${web.stderr().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const round = () => Promise.all(mix.map((m) => send(m)));
    const settled = async (count: number) => {
      const deadline = performance.now() + 10_000;
      while (sim.responses.length < count && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    // Small rounds first (one of each command), which also count the replies one round posts
    // through the response_url; then two bursts at full concurrency, so that the connections are
    // open and the concurrent paths compiled before the clock starts (otherwise the first 50
    // requests, opening 50 connections to a cold process, weigh on the p99 of a short run).
    for (let i = 0; i < 5; i++) await round();
    await new Promise((r) => setTimeout(r, 1000));
    const perRound = sim.responses.length / 5;
    const burstRounds = Math.ceil(concurrency / mix.length);
    for (let b = 0; b < 2; b++) await Promise.all(Array.from({ length: burstRounds }, round));
    await settled(perRound * (5 + 2 * burstRounds));
    const warmupReplies = sim.responses.length;
    const prepared: Prepared[] = [];
    for (let i = 0; i < total; i++) prepared.push(await prepare(mix[i % mix.length] as (typeof mix)[number]));
    const times: number[] = [];
    let failures = 0;
    let next = 0;
    const started = performance.now();
    const botCpu0 = cpuMsOf(web.child.pid);
    const benchCpu0 = selfCpuMs();
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const res = await post(prepared[i] as Prepared);
        times.push(res.ms);
        if (res.status !== 200) failures++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const wall = performance.now() - started;
    const botCpu1 = cpuMsOf(web.child.pid);
    const benchCpu = selfCpuMs() - benchCpu0;
    // The acknowledgement comes first and the replies after: check they all arrived (help and
    // status answer through the response_url), and how long after the last acknowledgement.
    const repliesExpected = Math.floor(total / mix.length) * perRound;
    let lastCount = -1;
    let lastChange = performance.now();
    while (
      sim.responses.length < warmupReplies + repliesExpected &&
      performance.now() - lastChange < 10_000
    ) {
      if (sim.responses.length !== lastCount) {
        lastCount = sim.responses.length;
        lastChange = performance.now();
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    const drainedMs = performance.now() - started - wall;
    const replies = sim.responses.length - warmupReplies;
    times.sort((a, b) => a - b);
    const p50 = percentile(times, 50);
    const p99 = percentile(times, 99);
    const out = (l: string) => process.stdout.write(`${l}\n`);
    out(
      `requests ${total}, in flight ${concurrency}, non-200 ${failures}, ${Math.round((total / wall) * 1000)} req/s`,
    );
    out(
      `p50 ${p50.toFixed(1)} ms   p90 ${percentile(times, 90).toFixed(1)} ms   p99 ${p99.toFixed(1)} ms   max ${(times.at(-1) ?? 0).toFixed(1)} ms`,
    );
    const perReq = (ms: number) => `${(ms / total).toFixed(2)} ms/request`;
    out(
      `cpu: bot ${botCpu0 !== null && botCpu1 !== null ? perReq(botCpu1 - botCpu0) : 'n/a'}, load generator + Slack stand-in ${perReq(benchCpu)} (${os.cpus().length} cores shared)`,
    );
    out(
      `replies via response_url ${replies}/${repliesExpected}, all in ${drainedMs.toFixed(0)} ms after the last ack`,
    );
    out(`RESULT ack p50_ms=${p50.toFixed(1)} p99_ms=${p99.toFixed(1)}`);
    return failures === 0 && replies >= repliesExpected ? 0 : 1;
  } finally {
    agent.destroy();
    web.child.kill('SIGTERM');
    await web.exit;
    await sim.stop();
  }
}
