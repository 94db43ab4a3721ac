import { type DsmSim, startDsmSim } from './dsm/index.js';
import { LabError } from './errors.js';
import type { LabCredentials, LabEndpoints } from './lab-info.js';
import type { LabModel } from './model.js';
import { waitFor } from './probe.js';
import { type SlackSim, startSlackSim } from './slack/index.js';
import { labChannels, labUsers, siteChannelId } from './slack/workspace.js';
import { partProbes } from './status.js';
import { type StorwizeSim, startStorwizeSim } from './storwize/index.js';
import { startVcsim, type VcsimHandle } from './vcsim/index.js';
import { startZertoSim, type ZertoSim } from './zerto/index.js';

// Starts vcsim and the four stand-ins in the current process, the same way whether that is the
// lab's detached process (process.ts) or a test. vcsim and Slack start together; Storwize, DSM
// and Zerto need vcsim's control URL, so they follow it.

export interface LabPartsOptions {
  model: LabModel;
  dir: string;
  timeScale: number;
  credentials: LabCredentials;
  tls: { caPem: string; certPem: string; keyPem: string };
}

/** The running parts, for tests that drive them directly (in-process labs only). */
export interface LabHandles {
  vcsim: VcsimHandle;
  slack: SlackSim;
  storwize: StorwizeSim;
  dsm: DsmSim;
  zerto: ZertoSim;
}

export interface LabParts {
  endpoints: LabEndpoints;
  handles: LabHandles;
  stop(): Promise<void>;
}

type Stop = () => Promise<void>;

async function stopAll(stops: Stop[]): Promise<void> {
  const results = await Promise.allSettled(stops.map((s) => s()));
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 0) {
    throw new LabError(
      'LAB_STOP_FAILED',
      `${failed.length} lab part(s) failed to stop: ${String(failed[0]?.reason)}`,
    );
  }
}

/** Waits until every part answers; throws naming the ones that do not. */
export async function probeEndpoints(e: LabEndpoints, caPem: string, timeoutMs: number): Promise<void> {
  const results = await Promise.all(
    partProbes(e, caPem).map(async ({ name, probe }) => ({ name, r: await waitFor(probe, timeoutMs) })),
  );
  const down = results.filter((x) => !x.r.ok);
  if (down.length > 0) {
    const list = down.map((d) => `${d.name} (${d.r.detail})`).join(', ');
    throw new LabError('LAB_START_FAILED', `lab part(s) not answering: ${list}`);
  }
}

export async function startLabParts(o: LabPartsOptions): Promise<LabParts> {
  const { model, credentials: c, tls } = o;
  const standIns: Stop[] = [];
  let vcsimStop: Stop | undefined;
  // Stand-ins first: they may still be calling vcsim's control API.
  const stop = async () => {
    await stopAll(standIns.splice(0));
    if (vcsimStop) await stopAll([vcsimStop]);
    vcsimStop = undefined;
  };
  const track = <T extends { stop: Stop }>(p: Promise<T>): Promise<T> =>
    p.then((part) => {
      standIns.push(() => part.stop());
      return part;
    });
  try {
    const vcsimStarting = startVcsim({ model, dir: o.dir, timeScale: o.timeScale }).then((v) => {
      vcsimStop = () => v.stop();
      return v;
    });
    const slackStarting = track(
      startSlackSim({ botToken: c.slackBotToken, signingSecret: c.slackSigningSecret, sites: model.sites }),
    );
    const [vcsim, slack] = await allOrNothing([vcsimStarting, slackStarting] as const);
    const common = {
      model,
      tls: { certPem: tls.certPem, keyPem: tls.keyPem },
      vcsim: { controlUrl: vcsim.controlUrl, caPem: tls.caPem },
      timeScale: o.timeScale,
      user: c.user,
      password: c.password,
    };
    const zertoSite = model.sites[1] ?? model.sites[0] ?? '';
    const [storwize, dsm, zerto] = await allOrNothing([
      track(startStorwizeSim(common)),
      track(startDsmSim(common)),
      track(
        startZertoSim({
          ...common,
          clientId: c.zertoClientId,
          clientSecret: c.zertoClientSecret,
          site: zertoSite,
        }),
      ),
    ] as const);
    const endpoints: LabEndpoints = {
      vcsim: { url: vcsim.url, controlUrl: vcsim.controlUrl, pid: vcsim.pid },
      storwize: {
        arrays: storwize.arrays.map((a) => ({
          name: a.name,
          site: a.site,
          host: '127.0.0.1',
          port: a.port,
          hostKeySha256: a.hostKeySha256,
        })),
      },
      dsm: {
        url: dsm.url,
        port: dsm.port,
        storageCenters: dsm.storageCenters.map((sc) => ({ name: sc.name, serial: sc.serial, site: sc.site })),
      },
      zerto: { url: zerto.url, port: zerto.port, site: zertoSite },
      slack: {
        url: slack.url,
        apiUrl: slack.apiUrl,
        port: slack.port,
        teamId: slack.workspace.team.id,
        botUserId: slack.workspace.bot.userId,
        users: Object.fromEntries(Object.entries(labUsers).map(([role, u]) => [role, u.id])),
        channels: {
          ...Object.fromEntries(model.sites.map((s) => [s, siteChannelId(s)])),
          ...Object.fromEntries(Object.entries(labChannels).map(([k, ch]) => [k, ch.id])),
        },
      },
    };
    await probeEndpoints(endpoints, tls.caPem, 15_000);
    return { endpoints, handles: { vcsim, slack, storwize, dsm, zerto }, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    if (err instanceof LabError) throw err;
    throw new LabError(
      'LAB_START_FAILED',
      `a lab part failed to start: ${err instanceof Error ? err.message : String(err)}`,
      {
        cause: err,
      },
    );
  }
}

/** Promise.all that still waits for every promise, so nothing started is left untracked. */
async function allOrNothing<T extends readonly unknown[]>(ps: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(ps);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
