import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { labCredentialsSchema } from './lab-info.js';
import { buildLabModel } from './model.js';
import { type LabParts, startLabParts } from './parts.js';

// Entry of a detached lab's process (spawned by startLab with an IPC channel): receives its
// options over IPC (so secrets never appear in `ps`), starts vcsim and the stand-ins, reports the
// endpoints, then runs until SIGTERM/SIGINT, when it stops vcsim and the stand-ins and exits.
// If the starter goes away before the lab is ready, nobody could stop the lab later: it stops.

const startMessage = z.strictObject({
  type: z.literal('start'),
  dir: z.string().min(1),
  size: z.enum(['small', 'large']),
  timeScale: z.number().positive(),
  credentials: labCredentialsSchema,
});

export type LabProcessStart = z.infer<typeof startMessage>;

let parts: LabParts | undefined;
let ready = false;
let stopping = false;

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} lab[${process.pid}] ${message}\n`);
}

async function shutdown(reason: string, code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`stopping (${reason})`);
  try {
    await parts?.stop();
  } catch (err) {
    log(`stop failed: ${err instanceof Error ? err.message : String(err)}`);
    code = 1;
  }
  log(`stopped (exit ${code})`);
  process.exit(code);
}

async function start(raw: unknown): Promise<void> {
  const m = startMessage.parse(raw);
  const [caPem, certPem, keyPem] = await Promise.all(
    ['ca.pem', 'server.pem', 'server-key.pem'].map((f) => readFile(join(m.dir, f), 'utf8')),
  );
  parts = await startLabParts({
    model: buildLabModel({ size: m.size }),
    dir: m.dir,
    timeScale: m.timeScale,
    credentials: m.credentials,
    tls: { caPem: caPem as string, certPem: certPem as string, keyPem: keyPem as string },
  });
  if (stopping) return;
  ready = true;
  log(`ready: ${JSON.stringify(parts.endpoints)}`);
  process.send?.({ type: 'ready', endpoints: parts.endpoints });
}

if (!process.send) {
  process.stderr.write('lab/process.ts is started by `bascule lab up` (startLab), not by hand.\n');
  process.exit(2);
}
process.on('SIGTERM', () => void shutdown('SIGTERM', 0));
process.on('SIGINT', () => void shutdown('SIGINT', 0));
process.on('disconnect', () => {
  if (!ready) void shutdown('starter went away before the lab was ready', 1);
});
process.once('message', (raw) => {
  start(raw).catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    log(`start failed: ${message}`);
    // Exit only once the starter has the reason, or it would see a bare exit.
    process.send?.({ type: 'failed', message }, undefined, undefined, () => void shutdown('start failed', 1));
  });
});
