import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseTopology } from '../src/config/topology.js';
import { LabError } from './errors.js';
import { labEnvFile, labSitesYaml } from './lab-config.js';
import {
  type LabCredentials,
  type LabEndpoints,
  type LabInfo,
  labJsonPath,
  readLabInfo,
  requireLabInfo,
} from './lab-info.js';
import { buildLabModel, type LabModel, type LabSize } from './model.js';
import { type LabHandles, type LabParts, startLabParts } from './parts.js';
import { isRecordedProcess, recordProcess, type StopOutcome, stopProcesses } from './pids.js';
import { spawnLabProcess } from './spawn.js';
import { labStatus } from './status.js';
import { ensureVcsimBinary, generateLabCerts, type LabCerts } from './vcsim/index.js';

// The whole lab from one call: model, certificates, vcsim and the stand-ins, and the files that
// tell Bascule (sites.yaml, lab.env) and tests (lab.json) where everything is.

export interface StartLabOptions {
  size?: LabSize;
  dir: string;
  /** Scales simulated task durations; 1 = real durations. */
  timeScale?: number;
  /** Run in background processes that outlive the caller (`bascule lab up`); else in-process. */
  detached?: boolean;
  /** How long the lab process may take to report ready (detached only). */
  startTimeoutMs?: number;
}

export interface Lab {
  info: LabInfo;
  /** In-process labs: the parts themselves (Slack calls, array controls, …); absent when detached. */
  handles?: LabHandles;
  /** Stops this lab (in-process parts directly, detached ones through stopLab). */
  stop(): Promise<void>;
}

const fixedCredentials = {
  user: 'bascule',
  password: 'lab-password',
  zertoClientId: 'bascule-lab',
  zertoClientSecret: 'lab-client-secret',
};

async function assertNotRunning(dir: string): Promise<void> {
  const existing = await readLabInfo(dir);
  if (!existing) return;
  const alive = await Promise.all(existing.processes.map(isRecordedProcess));
  if (alive.some(Boolean)) {
    const pids = existing.processes.filter((_, i) => alive[i]).map((p) => `${p.role} ${p.pid}`);
    throw new LabError('LAB_ALREADY_RUNNING', `a lab is already running in ${dir} (${pids.join(', ')})`);
  }
}

interface Launched {
  endpoints: LabEndpoints;
  /** Processes of this lab other than vcsim (the detached lab process). */
  ownPids: Array<{ role: string; pid: number }>;
  logPath?: string;
  /** In-process parts, stopped directly. */
  parts?: LabParts;
  /** Undoes the launch when writing the lab's files fails. */
  cleanup(): Promise<void>;
}

interface LaunchInput {
  dir: string;
  size: LabSize;
  timeScale: number;
  credentials: LabCredentials;
  certs: LabCerts;
  startTimeoutMs: number;
}

async function launchDetached(i: LaunchInput): Promise<Launched> {
  const { dir, size, timeScale, credentials } = i;
  const spawned = await spawnLabProcess({ dir, size, timeScale, credentials }, i.startTimeoutMs);
  return {
    endpoints: spawned.endpoints,
    ownPids: [{ role: 'stand-ins', pid: spawned.pid }],
    logPath: spawned.logPath,
    // Its SIGTERM handler stops vcsim and the stand-ins.
    cleanup: async () => {
      try {
        process.kill(spawned.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    },
  };
}

async function launchInProcess(i: LaunchInput, model: LabModel): Promise<Launched> {
  const [caPem, certPem, keyPem] = await Promise.all(
    [i.certs.caPath, i.certs.certPath, i.certs.keyPath].map((f) => readFile(f, 'utf8')),
  );
  const parts = await startLabParts({
    model,
    dir: i.dir,
    timeScale: i.timeScale,
    credentials: i.credentials,
    tls: { caPem: caPem as string, certPem: certPem as string, keyPem: keyPem as string },
  });
  return { endpoints: parts.endpoints, ownPids: [], parts, cleanup: () => parts.stop() };
}

/** sites.yaml (checked with Bascule's own parser) and lab.env; returns the files of lab.json. */
async function writeConfigFiles(
  dir: string,
  model: LabModel,
  launched: Launched,
  credentials: LabCredentials,
  timeScale: number,
) {
  const files = {
    model: join(dir, 'model.json'),
    ca: join(dir, 'ca.pem'),
    sitesYaml: join(dir, 'sites.yaml'),
    env: join(dir, 'lab.env'),
    ...(launched.logPath ? { log: launched.logPath } : {}),
  };
  const { endpoints } = launched;
  const yaml = labSitesYaml({ model, endpoints, caFile: files.ca, timeScale });
  // A lab whose configuration Bascule would reject is a lab bug: fail here, not in the product.
  parseTopology(yaml, files.sitesYaml);
  await writeFile(files.sitesYaml, yaml);
  const env = labEnvFile({ credentials, slackApiUrl: endpoints.slack.apiUrl, sitesYaml: files.sitesYaml });
  await writeFile(files.env, env, { mode: 0o600 });
  return files;
}

export async function startLab(o: StartLabOptions): Promise<Lab> {
  const t0 = performance.now();
  const dir = resolve(o.dir);
  const size = o.size ?? 'small';
  const timeScale = o.timeScale ?? 1;
  const detached = o.detached ?? false;
  await mkdir(dir, { recursive: true });
  await assertNotRunning(dir);
  await rm(labJsonPath(dir), { force: true });
  // A vcsim that was killed leaves its datastore files, and a new one refuses to create VMs over them.
  await rm(join(dir, 'vcsim-data'), { recursive: true, force: true });

  const model = buildLabModel({ size });
  await writeFile(join(dir, 'model.json'), JSON.stringify(model));
  await ensureVcsimBinary();
  const certs = await generateLabCerts(dir);
  if (resolve(certs.caPath) !== join(dir, 'ca.pem')) await copyFile(certs.caPath, join(dir, 'ca.pem'));
  const credentials: LabCredentials = {
    ...fixedCredentials,
    slackBotToken: `xoxb-lab-${randomBytes(12).toString('hex')}`,
    slackSigningSecret: randomBytes(16).toString('hex'),
  };
  const input = { dir, size, timeScale, credentials, certs, startTimeoutMs: o.startTimeoutMs ?? 180_000 };
  const launched = detached ? await launchDetached(input) : await launchInProcess(input, model);

  try {
    const processes = await Promise.all(
      [...launched.ownPids, { role: 'vcsim', pid: launched.endpoints.vcsim.pid }].map((p) =>
        recordProcess(p.role, p.pid),
      ),
    );
    const files = await writeConfigFiles(dir, model, launched, credentials, timeScale);
    const info: LabInfo = {
      version: 1,
      dir,
      size,
      timeScale,
      detached,
      startedAt: new Date().toISOString(),
      startupMs: Math.round(performance.now() - t0),
      files,
      credentials,
      ...launched.endpoints,
      processes,
    };
    await writeFile(labJsonPath(dir), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
    const { parts } = launched;
    const stop = parts
      ? async () => {
          await parts.stop();
          await rm(labJsonPath(dir), { force: true });
        }
      : async () => {
          await stopLab(dir);
        };
    return parts ? { info, handles: parts.handles, stop } : { info, stop };
  } catch (err) {
    await launched.cleanup().catch(() => undefined);
    throw err;
  }
}

/**
 * Stops the processes recorded in `<dir>/lab.json` (SIGTERM, SIGKILL after `graceMs`), skipping
 * PIDs that are gone or now belong to another process, then removes lab.json. The default grace
 * outlasts the lab process's own shutdown, which gives vcsim 5 s before killing it.
 */
export async function stopLab(dir: string, graceMs = 10_000): Promise<StopOutcome> {
  const abs = resolve(dir);
  const info = await requireLabInfo(abs);
  const outcome = await stopProcesses(info.processes, graceMs);
  if (outcome.remaining.length > 0) {
    throw new LabError(
      'LAB_STOP_FAILED',
      `still running after SIGKILL: ${outcome.remaining.map((p) => `${p.role} ${p.pid}`).join(', ')}`,
    );
  }
  await rm(labJsonPath(abs), { force: true });
  return outcome;
}

export { labStatus };
