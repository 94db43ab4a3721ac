import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

// "Does this part answer?" for start-up and `lab status`. HTTPS probes verify the certificate
// against the lab CA, so a probe also proves the TLS set-up clients will rely on.

export interface ProbeResult {
  ok: boolean;
  detail: string;
}

/** Any HTTP answer (or `expectStatus`) over HTTP(S); HTTPS trusts `caPem` only. */
export function probeHttp(
  url: string,
  o: { caPem?: string; expectStatus?: number; timeoutMs?: number } = {},
) {
  return new Promise<ProbeResult>((resolve) => {
    const u = new URL(url);
    const options = { method: 'GET', timeout: o.timeoutMs ?? 3_000, ...(o.caPem ? { ca: o.caPem } : {}) };
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, options, (res) => {
      res.resume();
      const ok = o.expectStatus === undefined || res.statusCode === o.expectStatus;
      resolve({ ok, detail: `HTTP ${res.statusCode}` });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => resolve({ ok: false, detail: err.message }));
    req.end();
  });
}

/** An SSH server's identification line (`SSH-2.0-…`), which it sends first. */
export function probeSsh(host: string, port: number, timeoutMs = 3_000) {
  return new Promise<ProbeResult>((resolve) => {
    const socket = connect({ host, port });
    let data = '';
    const done = (r: ProbeResult) => {
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(timeoutMs, () => done({ ok: false, detail: 'timed out' }));
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      const line = data.split('\r\n')[0] ?? '';
      if (data.includes('\n')) done({ ok: line.startsWith('SSH-2.0-'), detail: line.trim() });
    });
    socket.on('error', (err) => done({ ok: false, detail: err.message }));
  });
}

/** Probes until one succeeds or `timeoutMs` passes; returns the last result. */
export async function waitFor(probe: () => Promise<ProbeResult>, timeoutMs: number): Promise<ProbeResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await probe();
    if (r.ok || Date.now() >= deadline) return r;
    await sleep(100);
  }
}
