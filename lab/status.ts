import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type LabEndpoints, requireLabInfo } from './lab-info.js';
import { isRecordedProcess } from './pids.js';
import { type ProbeResult, probeHttp, probeSsh } from './probe.js';

// `bascule lab status`: is each recorded process still there, and does each part answer.

export interface LabPartStatus {
  name: string;
  endpoint: string;
  answering: boolean;
  detail: string;
}

export interface LabStatus {
  dir: string;
  size: string;
  startedAt: string;
  detached: boolean;
  processes: Array<{ role: string; pid: number; running: boolean }>;
  parts: LabPartStatus[];
  /** Every process running and every part answering. */
  healthy: boolean;
}

export interface PartProbe {
  name: string;
  endpoint: string;
  probe: () => Promise<ProbeResult>;
}

/** One probe per part; HTTPS ones trust the lab CA only (no CA: verification fails, as it should). */
export function partProbes(e: LabEndpoints, caPem: string | undefined): PartProbe[] {
  const tls = caPem === undefined ? {} : { caPem };
  return [
    {
      name: 'vcsim',
      endpoint: e.vcsim.url,
      probe: () => probeHttp(`${e.vcsim.controlUrl}/health`, { ...tls, expectStatus: 200 }),
    },
    ...e.storwize.arrays.map((a) => ({
      name: `storwize ${a.name}`,
      endpoint: `ssh://${a.host}:${a.port}`,
      probe: () => probeSsh(a.host, a.port),
    })),
    { name: 'dsm', endpoint: e.dsm.url, probe: () => probeHttp(e.dsm.url, tls) },
    { name: 'zerto', endpoint: e.zerto.url, probe: () => probeHttp(`${e.zerto.url}/v1/localsite`, tls) },
    {
      name: 'slack',
      endpoint: e.slack.apiUrl,
      probe: () => probeHttp(`${e.slack.url}/lab/health`, { expectStatus: 200 }),
    },
  ];
}

export async function labStatus(dir: string): Promise<LabStatus> {
  const abs = resolve(dir);
  const info = await requireLabInfo(abs);
  const caPem = await readFile(info.files.ca, 'utf8').catch(() => undefined);
  const [parts, processes] = await Promise.all([
    Promise.all(
      partProbes(info, caPem).map(async ({ name, endpoint, probe }) => {
        const r = await probe();
        return { name, endpoint, answering: r.ok, detail: r.detail };
      }),
    ),
    Promise.all(
      info.processes.map(async (p) => ({ role: p.role, pid: p.pid, running: await isRecordedProcess(p) })),
    ),
  ]);
  return {
    dir: abs,
    size: info.size,
    startedAt: info.startedAt,
    detached: info.detached,
    processes,
    parts,
    healthy: parts.every((p) => p.answering) && processes.every((p) => p.running),
  };
}
