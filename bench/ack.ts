import { createSlackDriver, labChannels, labUsers, labWorkspace, startSlackSim } from '../lab/slack/index.js';
import { freePort } from '../test/support/free-port.js';
import { spawnBascule } from '../test/support/spawn-bascule.js';

// Slash-command acknowledgement benchmark: the time from sending a signed slash command to the
// bot's HTTP receiver until its HTTP 200, with 50 requests in flight, for a mix of commands (help,
// status, bad input answered with the usage, a refused channel). The bot is the real `bascule web`
// process (HTTP receiver, real Redis: the dedupe SET NX and the replies happen after the ack), in
// its own process so that the load generator and the Slack stand-in do not share its event loop.
// Slack wants the ack within 3 s; the target is p99 < 100 ms.
//
// `npm run bench -- ack [--requests N] [--concurrency N]`

const INFRA = 'C05INFRAOPS'; // the ops channel of config/sites.example.yaml

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

export async function main(args: string[]): Promise<number> {
  const total = flag(args, 'requests', 1000);
  const concurrency = flag(args, 'concurrency', 50);
  const workspace = labWorkspace(['site5', 'lognes']);
  const sim = await startSlackSim({
    botToken: 'xoxb-bench-ack',
    signingSecret: 'bench-ack-signing-secret',
    channels: [...workspace.channels, { id: INFRA, name: 'infra-ops-example' }],
  });
  const port = await freePort();
  const web = spawnBascule(['web'], {
    VCENTER_USER: 'u',
    VCENTER_PASSWORD: 'p',
    STORWIZE_SITE5_KEY: 'k',
    STORWIZE_LOGNES_KEY: 'k',
    DSM_USER: 'u',
    DSM_PASSWORD: 'p',
    ZERTO_CLIENT_ID: 'c',
    ZERTO_CLIENT_SECRET: 's',
    SLACK_BOT_TOKEN: sim.botToken,
    SLACK_SIGNING_SECRET: sim.signingSecret,
    SLACK_API_URL: sim.apiUrl,
    PORT: String(port),
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    BASCULE_CONFIG: 'config/sites.example.yaml',
    LOG_LEVEL: 'warn',
  });
  const driver = createSlackDriver({
    botUrl: `http://127.0.0.1:${port}/slack/events`,
    signingSecret: sim.signingSecret,
    sim,
  });
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
    for (let i = 0; i < 20; i++) {
      await driver.slashCommand({
        ...(mix[i % mix.length] as (typeof mix)[number]),
        user: labUsers.operator.id,
      });
    }
    const times: number[] = [];
    let failures = 0;
    let next = 0;
    const started = performance.now();
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const m = mix[i % mix.length] as (typeof mix)[number];
        const t0 = performance.now();
        const res = await driver.slashCommand({ ...m, user: labUsers.operator.id });
        times.push(performance.now() - t0);
        if (res.status !== 200) failures++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const wall = performance.now() - started;
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
    out(`RESULT ack p50_ms=${p50.toFixed(1)} p99_ms=${p99.toFixed(1)}`);
    return failures === 0 ? 0 : 1;
  } finally {
    web.child.kill('SIGTERM');
    await web.exit;
    await sim.stop();
  }
}
