import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLabCerts } from '../../lab/vcsim/index.js';
import * as enc from '../../src/adapters/vsphere/encode.js';
import {
  certificateThumbprint,
  VsphereClient,
  VsphereError,
  VsphereFaultError,
} from '../../src/adapters/vsphere/index.js';
import { readObject } from '../../src/adapters/vsphere/retrieve.js';
import { moRef } from '../../src/adapters/vsphere/types.js';
import { labUser, serverCertPem, startVsphereLab, type VsphereLab } from '../support/vsphere-lab.js';

// Transport, TLS and session behaviour against the lab vCenter over HTTPS.

let lab: VsphereLab;
let otherCaPem: string;
let otherDir: string;

beforeAll(async () => {
  lab = await startVsphereLab();
  otherDir = await mkdtemp(join(tmpdir(), 'bascule-other-ca-'));
  otherCaPem = await readFile((await generateLabCerts(otherDir)).caPath, 'utf8');
});

afterAll(async () => {
  await lab?.stop();
  if (otherDir) await rm(otherDir, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<VsphereError> {
  const err = await p.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  if (!(err instanceof VsphereError)) throw err;
  return err;
}

async function morefOf(name: string): Promise<string> {
  const vm = (await lab.state()).vms.find((v) => v.name === name);
  if (!vm) throw new Error(`${name} not in the lab state`);
  return vm.moref;
}

describe('TLS', () => {
  it('connects with the lab CA, verification on, and speaks the server API version', async () => {
    const client = await lab.connect();
    expect(client.session.content.about.apiVersion).toMatch(/^\d+\.\d+/);
    expect(client.session.transport.soapAction).toBe(`urn:vim25/${client.session.content.about.apiVersion}`);
    expect(client.session.user?.userName).toBe(labUser.userName);
    await client.close();
  });

  it('refuses a certificate signed by another CA', async () => {
    const err = await rejection(lab.connect({ caPem: otherCaPem }));
    expect(err.code).toBe('VSPHERE_TLS');
    expect(err.retryable).toBe(false);
    expect(err.hint).toMatch(/caFile/);
  });

  it('refuses the lab certificate with the system store only', async () => {
    const err = await rejection(lab.connect({}));
    expect(err.code).toBe('VSPHERE_TLS');
  });

  it('accepts the right pinned thumbprint, even with a CA that would not verify it', async () => {
    const thumbprint = certificateThumbprint(await serverCertPem(lab));
    const client = await lab.connect({ thumbprint, caPem: otherCaPem });
    expect(client.session.user).not.toBeNull();
    await client.close();
    const lower = await lab.connect({ thumbprint: thumbprint.toLowerCase() });
    await lower.close();
  });

  it('refuses a wrong pinned thumbprint, even with the right CA', async () => {
    const right = certificateThumbprint(await serverCertPem(lab));
    const wrong = right.replace(/^../, right.startsWith('00') ? '11' : '00');
    const err = await rejection(lab.connect({ thumbprint: wrong, caPem: lab.vcsim.caPem }));
    expect(err.code).toBe('VSPHERE_TLS');
    expect(err.details.actual).toBe(right.replaceAll(':', ''));
    expect(err.hint).toMatch(/thumbprint/);
  });

  it('refuses a plain http URL before sending anything', async () => {
    const err = await rejection(
      VsphereClient.connect({ url: lab.vcsim.url.replace('https:', 'http:'), ...labUser }),
    );
    expect(err.code).toBe('VSPHERE_INVALID_ARGUMENT');
  });
});

describe('transport errors', () => {
  it('reports an unreachable vCenter as retryable VSPHERE_TRANSPORT after retrying the read', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const err = await rejection(
      VsphereClient.connect({
        url: `https://127.0.0.1:${port}/sdk`,
        tls: { caPem: lab.vcsim.caPem },
        retryBaseDelayMs: 1,
        ...labUser,
      }),
    );
    expect(err.code).toBe('VSPHERE_TRANSPORT');
    expect(err.retryable).toBe(true);
    expect(err.method).toBe('RetrieveServiceContent');
  });

  it('retries a read that timed out, but never a state-changing call', async () => {
    const client = await lab.connect();
    const session = client.session;
    await lab.control('/faults', { kind: 'delay', method: 'RetrievePropertiesEx', ms: 4_000, count: 1 });
    const props = await readObject(session, session.content.rootFolder, ['name'], { timeoutMs: 1_000 });
    expect(props?.get('name')?.text).toBeTruthy();

    const vm = moRef('VirtualMachine', await morefOf('mail-05'));
    await lab.control('/faults', { kind: 'delay', method: 'PowerOffVM_Task', ms: 4_000, count: 1 });
    const err = await rejection(session.invoke(enc.powerOffVm(vm), () => undefined, { timeoutMs: 1_000 }));
    expect(err.code).toBe('VSPHERE_TIMEOUT');
    expect(err.method).toBe('PowerOffVM_Task');
  });
});

describe('faults', () => {
  it('turns a SOAP fault into VSPHERE_FAULT with its vim25 type, method and hint', async () => {
    const client = await lab.connect();
    const noTools = lab.model.vms.find((v) => !v.toolsRunning);
    if (!noTools) throw new Error('the small lab has a VM without Tools');
    const vm = moRef('VirtualMachine', await morefOf(noTools.name));
    const err = await rejection(client.session.invoke(enc.shutdownGuest(vm), () => undefined));
    expect(err).toBeInstanceOf(VsphereFaultError);
    expect((err as VsphereFaultError).faultType).toBe('ToolsUnavailable');
    expect(err.method).toBe('ShutdownGuest');
    expect(err.retryable).toBe(false);
    expect(err.hint).toMatch(/Tools/);
  });

  it('reports an object that does not exist as ManagedObjectNotFound', async () => {
    const client = await lab.connect();
    const err = await rejection(
      client.session.invoke(enc.powerOnVm(moRef('VirtualMachine', 'vm-999999')), () => undefined),
    );
    expect(err.code).toBe('VSPHERE_FAULT');
    expect((err as VsphereFaultError).faultType).toBe('ManagedObjectNotFound');
  });
});

describe('session', () => {
  it('logs in again transparently when the sessions expire, for reads and for actions', async () => {
    const client = await lab.connect();
    const before = client.session.generation;
    await lab.control('/faults', { kind: 'expire-sessions' });
    const props = await readObject(client.session, client.session.content.rootFolder, ['name']);
    expect(props?.get('name')?.text).toBeTruthy();
    expect(client.session.generation).toBe(before + 1);

    const vm = await morefOf('dns-10');
    await lab.control('/vm/power', { vm: 'dns-10', on: false });
    await lab.control('/faults', { kind: 'expire-sessions' });
    const outcome = await client.powerOn(vm);
    expect(outcome.changed).toBe(true);
    expect(client.session.generation).toBe(before + 2);
    expect((await lab.state()).vms.find((v) => v.name === 'dns-10')?.powerState).toBe('poweredOn');
  });

  it('concurrent calls hitting one expiry share a single new login', async () => {
    const client = await lab.connect();
    const before = client.session.generation;
    await lab.control('/faults', { kind: 'expire-sessions' });
    const root = client.session.content.rootFolder;
    const results = await Promise.all([1, 2, 3, 4].map(() => readObject(client.session, root, ['name'])));
    expect(results.every((r) => r?.get('name') !== undefined)).toBe(true);
    expect(client.session.generation).toBe(before + 1);
  });

  it('logout ends the session; a second logout is a no-op', async () => {
    const client = await lab.connect();
    await client.logout();
    expect(client.session.user).toBeNull();
    expect(client.session.transport.hasSession).toBe(false);
    await client.logout();
    await client.close();
  });
});
