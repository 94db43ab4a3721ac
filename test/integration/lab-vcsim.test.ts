import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLabModel, type LabModel } from '../../lab/model.js';
import { VcsimControlClient } from '../../lab/vcsim/control-client.js';
import { startVcsim, type VcsimHandle } from '../../lab/vcsim/index.js';
import { type MoRef, RawSoapClient, refXml, SoapFault, textXml } from '../../lab/vcsim/raw-soap.js';

// The lab's vCenter over real vim25 SOAP and HTTPS (lab CA, verification on): inventory built from
// the model, paging, asynchronous tasks, and the simulator quirks the lab fixes.

let dir: string;
let vc: VcsimHandle;
let soap: RawSoapClient;
let control: VcsimControlClient;
const model: LabModel = buildLabModel({ size: 'small' });

function lab(path: string, body?: unknown): Promise<unknown> {
  return body === undefined ? control.get(path) : control.post(path, body);
}

interface LabVmState {
  name: string;
  moref: string | null;
  host: string | null;
  site: string | null;
  powerState: string | null;
  registered: boolean;
  numCpu: number;
  memoryMb: number;
}

async function labVms(): Promise<LabVmState[]> {
  return ((await lab('/state')) as { vms: LabVmState[] }).vms;
}

function vmModel(name: string) {
  const vm = model.vms.find((v) => v.name === name);
  if (!vm) throw new Error(`no vm ${name} in the model`);
  return vm;
}

async function vmRef(name: string): Promise<MoRef> {
  return soap.byName('VirtualMachine', name);
}

async function expectFault(p: Promise<unknown>, type: string): Promise<SoapFault> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SoapFault);
  expect((err as SoapFault).faultType).toBe(type);
  return err as SoapFault;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lab-vcsim-'));
  vc = await startVcsim({ model, dir, timeScale: 0.01 });
  control = new VcsimControlClient(vc.controlUrl, vc.caPem);
  soap = new RawSoapClient(vc.url, vc.caPem);
  await soap.login('bascule', 'lab-password');
});

afterAll(async () => {
  await soap?.close();
  await control?.close();
  await vc?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('inventory from the model', () => {
  it('serves one datacenter with one cluster per site, holding that site’s hosts', async () => {
    const dcs = await soap.list('Datacenter', ['name']);
    expect(dcs.map((d) => d.props.get('name')?.text())).toEqual([model.datacenter]);
    const clusters = await soap.list('ClusterComputeResource', ['name', 'host']);
    expect(clusters.map((c) => c.props.get('name')?.text()).sort()).toEqual([...model.sites].sort());
    const hosts = await soap.list('HostSystem', ['name', 'parent', 'summary.hardware']);
    expect(hosts).toHaveLength(model.hosts.length);
    for (const h of model.hosts) {
      const found = hosts.find((x) => x.props.get('name')?.text() === h.name);
      expect(found, h.name).toBeDefined();
      const hw = found?.props.get('summary.hardware');
      expect(hw?.req('numCpuCores').int()).toBe(h.cpuCores);
      expect(hw?.req('cpuMhz').int()).toBe(h.cpuMhzPerCore);
      expect(Number(hw?.req('memorySize').text())).toBe(h.memoryMb * 1024 * 1024);
      const cluster = clusters.find((c) => c.props.get('name')?.text() === h.site);
      const members = cluster?.props
        .get('host')
        ?.children('ManagedObjectReference')
        .map((r) => r.text());
      expect(members).toContain(found?.obj.value);
    }
  });

  it('gives datastores their VMFS identity and mounts them on the hosts of their sites', async () => {
    const dss = await soap.list('Datastore', ['name', 'info', 'summary', 'host']);
    const hostNames = new Map(
      (await soap.list('HostSystem', ['name'])).map((h) => [h.obj.value, h.props.get('name')?.text()]),
    );
    for (const d of model.datastores) {
      const found = dss.find((x) => x.props.get('name')?.text() === d.name);
      expect(found, d.name).toBeDefined();
      const info = found?.props.get('info');
      expect(info?.attr('xsi:type')).toBe('VmfsDatastoreInfo');
      expect(info?.req('vmfs', 'uuid').text()).toBe(d.vmfsUuid);
      expect(info?.req('vmfs', 'extent', 'diskName').text()).toBe(d.lun);
      expect(Number(found?.props.get('summary')?.req('capacity').text())).toBe(d.capacityGb * 2 ** 30);
      expect(found?.props.get('summary')?.req('type').text()).toBe('VMFS');
      const mounted = (found?.props.get('host')?.children('DatastoreHostMount') ?? []).map((m) =>
        hostNames.get(m.req('key').text()),
      );
      const expected = model.hosts.filter((h) => d.mountedOn.includes(h.site)).map((h) => h.name);
      expect(mounted.sort()).toEqual(expected.sort());
    }
  });

  it('reports each host’s VMFS mounts and LUNs through its storage system', async () => {
    const host = model.hosts[0];
    if (!host) throw new Error('model has no host');
    const ref = await soap.byName('HostSystem', host.name);
    const storage = (await soap.prop(ref, 'configManager.storageSystem'))?.moref();
    if (!storage) throw new Error('no storage system');
    const props = await soap.props(storage, ['fileSystemVolumeInfo.mountInfo', 'storageDeviceInfo.scsiLun']);
    const mounts = props.get('fileSystemVolumeInfo.mountInfo')?.children('HostFileSystemMountInfo') ?? [];
    const luns = (props.get('storageDeviceInfo.scsiLun')?.children('ScsiLun') ?? []).map((l) =>
      l.req('canonicalName').text(),
    );
    const expected = model.datastores.filter((d) => d.mountedOn.includes(host.site));
    expect(mounts.map((m) => m.req('volume', 'name').text()).sort()).toEqual(
      expected.map((d) => d.name).sort(),
    );
    for (const m of mounts) {
      const d = expected.find((x) => x.name === m.req('volume', 'name').text());
      expect(m.req('volume').attr('xsi:type')).toBe('HostVmfsVolume');
      expect(m.req('volume', 'uuid').text()).toBe(d?.vmfsUuid);
      expect(m.req('mountInfo', 'accessible').text()).toBe('true');
      const disk = m.req('volume', 'extent', 'diskName').text();
      expect(luns).toContain(disk);
    }
  });

  it('builds VMs with their hardware, vmx path, Tools state, snapshot, ISO and attributes', async () => {
    const vms = await soap.list('VirtualMachine', [
      'name',
      'config.hardware.numCPU',
      'config.hardware.memoryMB',
      'summary.config.vmPathName',
      'runtime.powerState',
      'guest.toolsRunningStatus',
      'snapshot',
      'config.hardware.device',
      'customValue',
      'availableField',
    ]);
    expect(vms).toHaveLength(model.vms.length);
    for (const v of model.vms) {
      const found = vms.find((x) => x.props.get('name')?.text() === v.name);
      expect(found, v.name).toBeDefined();
      const p = found?.props ?? new Map();
      expect(p.get('config.hardware.numCPU')?.int()).toBe(v.numCpu);
      expect(p.get('config.hardware.memoryMB')?.int()).toBe(v.memoryMb);
      expect(p.get('summary.config.vmPathName')?.text()).toBe(`[${v.datastores[0]}] ${v.name}/${v.name}.vmx`);
      expect(p.get('runtime.powerState')?.text()).toBe(v.powerOn ? 'poweredOn' : 'poweredOff');
      expect(p.get('guest.toolsRunningStatus')?.text()).toBe(
        v.powerOn && v.toolsRunning ? 'guestToolsRunning' : 'guestToolsNotRunning',
      );
      expect(p.has('snapshot')).toBe(v.snapshot);
      const devices = p.get('config.hardware.device')?.children('VirtualDevice') ?? [];
      const cdrom = devices.find(
        (d: { attr(n: string): string | undefined }) => d.attr('xsi:type') === 'VirtualCdrom',
      );
      if (v.iso) expect(cdrom?.req('backing', 'fileName').text()).toBe(v.iso);
      const fields = new Map(
        (p.get('availableField')?.children('CustomFieldDef') ?? []).map(
          (f: { req(n: string): { text(): string } }) => [f.req('key').text(), f.req('name').text()],
        ),
      );
      const values = Object.fromEntries(
        (p.get('customValue')?.children('CustomFieldValue') ?? []).map(
          (c: { req(n: string): { text(): string } }) => [
            fields.get(c.req('key').text()),
            c.req('value').text(),
          ],
        ),
      );
      const expected = Object.fromEntries(Object.entries(v.attributes).filter(([, val]) => val !== ''));
      expect(values).toEqual(expected);
    }
  });

  it('carries the DRS anti-affinity rules of the model', async () => {
    const clusters = await soap.list('ClusterComputeResource', ['name', 'configurationEx']);
    const vmNames = new Map(
      (await soap.list('VirtualMachine', ['name'])).map((v) => [v.obj.value, v.props.get('name')?.text()]),
    );
    for (const rule of model.antiAffinityRules) {
      const cluster = clusters.find((c) => c.props.get('name')?.text() === rule.cluster);
      const found = cluster?.props
        .get('configurationEx')
        ?.children('rule')
        .find((r) => r.req('name').text() === rule.name);
      expect(found?.attr('xsi:type')).toBe('ClusterAntiAffinityRuleSpec');
      expect(found?.children('vm').map((r) => vmNames.get(r.text()))).toEqual(rule.vms);
    }
  });
});

describe('RetrievePropertiesEx paging', () => {
  it('pages through every VM ten at a time with ContinueRetrievePropertiesEx', async () => {
    const sc = await soap.serviceContent();
    const view = await soap.containerView(sc.rootFolder, 'VirtualMachine');
    const names: string[] = [];
    let page = await soap.retrieveView(view, 'VirtualMachine', ['name'], 10);
    let pages = 1;
    expect(page.objects).toHaveLength(10);
    names.push(...page.objects.map((o) => o.props.get('name')?.text() ?? ''));
    while (page.token) {
      page = await soap.continueRetrieve(page.token);
      pages++;
      expect(page.objects.length).toBeLessThanOrEqual(10);
      names.push(...page.objects.map((o) => o.props.get('name')?.text() ?? ''));
    }
    expect(pages).toBe(Math.ceil(model.vms.length / 10));
    expect(names.sort()).toEqual(model.vms.map((v) => v.name).sort());
    await soap.call('DestroyView', view);
  });

  it('forgets a token once the retrieval is cancelled', async () => {
    const sc = await soap.serviceContent();
    const view = await soap.containerView(sc.rootFolder, 'VirtualMachine');
    const page = await soap.retrieveView(view, 'VirtualMachine', ['name'], 5);
    if (!page.token) throw new Error('expected a token');
    await soap.cancelRetrieve(page.token);
    await expectFault(soap.continueRetrieve(page.token), 'InvalidArgument');
    await soap.call('DestroyView', view);
  });
});

describe('control API', () => {
  it('answers health and lists VMs as the model placed them', async () => {
    expect(await lab('/health')).toEqual({ ok: true });
    const vms = await labVms();
    const ldap = vms.find((v) => v.name === 'ldap-01');
    expect(ldap).toMatchObject({ host: vmModel('ldap-01').host, site: model.sites[0], registered: true });
  });

  it('delays a method on demand', async () => {
    const si = { type: 'ServiceInstance', value: 'ServiceInstance' };
    await lab('/faults', { kind: 'delay', method: 'CurrentTime', ms: 300, count: 1 });
    const before = Date.now();
    // The server reads its clock after the injected delay, so this lower bound holds however
    // loaded the machine is (it bounds the server's wait, not how fast anything runs).
    const server = Date.parse((await soap.call('CurrentTime', si)).req('returnval').text());
    expect(server - before).toBeGreaterThanOrEqual(290);
  });

  it('rejects an unknown fault kind', async () => {
    await expect(lab('/faults', { kind: 'meteor' })).rejects.toThrow(/answered 400/);
  });

  it('expires sessions on demand: the next call is refused until the client logs in again', async () => {
    const other = new RawSoapClient(vc.url, vc.caPem);
    try {
      await other.login('bascule', 'lab-password');
      const vm = await vmRef('ldap-02');
      await lab('/faults', { kind: 'expire-sessions' });
      await expectFault(other.props(vm, ['name']), 'NotAuthenticated');
      await other.login('bascule', 'lab-password');
      expect((await other.prop(vm, 'name'))?.text()).toBe('ldap-02');
    } finally {
      await other.close();
      await soap.login('bascule', 'lab-password');
    }
  });
});

async function vmProps(name: string, paths: string[]) {
  return soap.props(await vmRef(name), paths);
}

async function poolOf(site: string): Promise<MoRef> {
  const cluster = await soap.byName('ClusterComputeResource', site);
  const pool = (await soap.prop(cluster, 'resourcePool'))?.moref();
  if (!pool) throw new Error(`cluster ${site} has no pool`);
  return pool;
}

async function hostVms(host: string): Promise<string[]> {
  const ref = await soap.byName('HostSystem', host);
  return ((await soap.prop(ref, 'vm'))?.children('ManagedObjectReference') ?? []).map((r) => r.text());
}

async function runTask(method: string, self: MoRef, inner = '') {
  const task = (await soap.call(method, self, inner)).req('returnval').moref();
  return soap.waitTask(task);
}

async function vmFolder(): Promise<MoRef> {
  const dc = await soap.byName('Datacenter', model.datacenter);
  const folder = (await soap.prop(dc, 'vmFolder'))?.moref();
  if (!folder) throw new Error('no vmFolder');
  return folder;
}

/** A model VM matching the predicate, not used by another test of this file. */
const taken = new Set<string>();
// The small lab's one VM without Tools is kept for the ShutdownGuest refusal.
const noTools = model.vms.find((v) => v.powerOn && !v.toolsRunning);
if (noTools) taken.add(noTools.name);
function pickVm(pred: (v: LabModel['vms'][number]) => boolean): LabModel['vms'][number] {
  const vm = model.vms.find((v) => !taken.has(v.name) && pred(v));
  if (!vm) throw new Error('no VM in the model fits this test');
  taken.add(vm.name);
  return vm;
}

const siteA = model.sites[0] ?? 'site5';
const siteB = model.sites[1] ?? 'lognes';
const dsByName = new Map(model.datastores.map((d) => [d.name, d]));
const onOneSite = (v: LabModel['vms'][number]) =>
  v.datastores.every((d) => dsByName.get(d)?.method === 'storwize') && !v.iso;

describe('asynchronous tasks', () => {
  it('takes a task through queued, running with progress, then success, seen by WaitForUpdatesEx', async () => {
    const v = pickVm((x) => x.powerOn && x.toolsRunning && onOneSite(x) && !x.name.startsWith('ldap'));
    // 200 s at the test time scale of 0.01: long enough to watch, short for the suite.
    await lab('/durations', { durations: { PowerOffVM_Task: 200_000 } });
    try {
      const sc = await soap.serviceContent();
      const task = (await soap.call('PowerOffVM_Task', await vmRef(v.name))).req('returnval').moref();
      const early = (await soap.prop(task, 'info.state'))?.text();
      expect(['queued', 'running']).toContain(early);
      expect((await vmProps(v.name, ['runtime.powerState'])).get('runtime.powerState')?.text()).toBe(
        'poweredOn',
      );

      const pc = (await soap.call('CreatePropertyCollector', sc.propertyCollector)).req('returnval').moref();
      const spec = `<spec><propSet>${textXml('type', 'Task')}${textXml('pathSet', 'info')}</propSet><objectSet>${refXml('obj', task)}</objectSet></spec>`;
      await soap.call('CreateFilter', pc, `${spec}${textXml('partialUpdates', false)}`);
      const seen: Array<{ state: string; progress: number | undefined }> = [];
      let version = '';
      for (let i = 0; i < 200; i++) {
        const res = await soap.call(
          'WaitForUpdatesEx',
          pc,
          `${textXml('version', version)}<options>${textXml('maxWaitSeconds', 10)}</options>`,
        );
        const set = res.child('returnval');
        if (!set) continue;
        version = set.req('version').text();
        for (const change of set
          .children('filterSet')
          .flatMap((f) => f.children('objectSet'))
          .flatMap((o) => o.children('changeSet'))) {
          const info = change.child('val');
          const state = info?.opt('state')?.text();
          if (state) seen.push({ state, progress: info?.opt('progress')?.int() });
        }
        const last = seen.at(-1)?.state;
        if (last === 'success' || last === 'error') break;
      }
      await soap.call('DestroyPropertyCollector', pc);

      const order = ['queued', 'running', 'success'];
      const states = seen.map((s) => s.state);
      expect(states.at(-1)).toBe('success');
      expect(states).toContain('running');
      expect([...states].sort((a, b) => order.indexOf(a) - order.indexOf(b))).toEqual(states);
      const moving = seen.filter(
        (s) => s.state === 'running' && s.progress !== undefined && s.progress > 0 && s.progress < 100,
      );
      expect(moving.length).toBeGreaterThan(0);
      expect((await vmProps(v.name, ['runtime.powerState'])).get('runtime.powerState')?.text()).toBe(
        'poweredOff',
      );
    } finally {
      await lab('/durations', {
        durations: { PowerOffVM_Task: model.taskDurationsMs.PowerOffVM_Task ?? 2000 },
      });
    }
  });

  it('fails a task on demand with a human message, then runs the next one', async () => {
    const v = pickVm((x) => x.powerOn && x.toolsRunning && onOneSite(x) && !x.name.startsWith('ldap'));
    const ref = await vmRef(v.name);
    expect((await runTask('PowerOffVM_Task', ref)).state).toBe('success');
    await lab('/faults', { kind: 'task-error', method: 'PowerOnVM_Task', count: 1 });
    const failed = await runTask('PowerOnVM_Task', ref);
    expect(failed).toMatchObject({ state: 'error', errorType: 'SystemError' });
    expect(failed.errorMessage).toMatch(/^A general system error occurred/);
    expect((await runTask('PowerOnVM_Task', ref)).state).toBe('success');
    const again = await runTask('PowerOnVM_Task', ref);
    expect(again).toMatchObject({ state: 'error', errorType: 'InvalidPowerState' });
    expect(again.errorMessage).toBe(
      'The attempted operation cannot be performed in the current state (Powered on).',
    );
  });

  it('gives tasks the simulator runs itself a human error message too', async () => {
    const v = pickVm((x) => onOneSite(x));
    const spec = `<spec>${textXml('guestId', 'no-such-guest')}</spec>`;
    const res = await runTask('ReconfigVM_Task', await vmRef(v.name), spec);
    expect(res).toMatchObject({ state: 'error', errorType: 'InvalidArgument' });
    expect(res.errorMessage).toBe('A specified parameter was not correct: configSpec.guestId');
  });

  it('powers on several VMs with Datacenter.PowerOnMultiVM_Task', async () => {
    const off = [
      pickVm((x) => x.powerOn && x.toolsRunning && onOneSite(x)),
      pickVm((x) => x.powerOn && x.toolsRunning && onOneSite(x)),
    ];
    const on = pickVm((x) => x.powerOn && x.toolsRunning && onOneSite(x));
    const refs = await Promise.all(off.map((v) => vmRef(v.name)));
    for (const ref of refs) expect((await runTask('PowerOffVM_Task', ref)).state).toBe('success');
    const onRef = await vmRef(on.name);
    const dc = await soap.byName('Datacenter', model.datacenter);
    const res = await runTask(
      'PowerOnMultiVM_Task',
      dc,
      [...refs, onRef].map((r) => refXml('vm', r)).join(''),
    );
    expect(res.state).toBe('success');
    expect(res.result?.attr('xsi:type')).toBe('ClusterPowerOnVmResult');
    const attempted = res.result?.children('attempted') ?? [];
    expect(attempted.map((a) => a.req('vm').text()).sort()).toEqual(refs.map((r) => r.value).sort());
    for (const a of attempted) expect((await soap.waitTask(a.req('task').moref())).state).toBe('success');
    const notAttempted = res.result?.children('notAttempted') ?? [];
    expect(notAttempted.map((n) => n.req('vm').text())).toEqual([onRef.value]);
    expect(notAttempted[0]?.req('fault', 'fault').attr('xsi:type')).toBe('InvalidPowerState');
    for (const v of off) {
      expect((await vmProps(v.name, ['runtime.powerState'])).get('runtime.powerState')?.text()).toBe(
        'poweredOn',
      );
    }
  });
});

describe('ShutdownGuest', () => {
  it('is refused with ToolsUnavailable when VMware Tools is not running', async () => {
    const v = noTools;
    if (!v) throw new Error('the small lab has a VM without Tools');
    const fault = await expectFault(soap.call('ShutdownGuest', await vmRef(v.name)), 'ToolsUnavailable');
    expect(fault.faultString).toBe(
      'Cannot complete operation because VMware Tools is not running in this virtual machine.',
    );
    expect((await vmProps(v.name, ['runtime.powerState'])).get('runtime.powerState')?.text()).toBe(
      'poweredOn',
    );
  });

  it('returns at once, the guest goes down after its duration, and a second call is refused', async () => {
    const v = pickVm((x) => x.powerOn && x.toolsRunning && onOneSite(x));
    const ref = await vmRef(v.name);
    await soap.call('ShutdownGuest', ref);
    let state = '';
    for (let i = 0; i < 500 && state !== 'poweredOff'; i++) {
      state = (await soap.prop(ref, 'runtime.powerState'))?.text() ?? '';
    }
    expect(state).toBe('poweredOff');
    expect((await soap.prop(ref, 'guest.toolsRunningStatus'))?.text()).toBe('guestToolsNotRunning');
    await expectFault(soap.call('ShutdownGuest', ref), 'InvalidPowerState');
  });
});

describe('registration', () => {
  it('restores CPU, memory, attributes and Tools when a VM is registered again, into the given host', async () => {
    const v = pickVm((x) => x.powerOn && x.toolsRunning && x.numCpu >= 4 && onOneSite(x));
    const before = await vmRef(v.name);
    const path = `[${v.datastores[0]}] ${v.name}/${v.name}.vmx`;
    expect((await runTask('PowerOffVM_Task', before)).state).toBe('success');
    await soap.call('setCustomValue', before, textXml('key', 'owner') + textXml('value', 'team-infra'));
    await soap.call('UnregisterVM', before);
    expect((await labVms()).find((x) => x.name === v.name)?.registered).toBe(false);

    const host = model.hosts.find((h) => h.site === vmModel(v.name).host.split('-')[1] && h.name !== v.host);
    if (!host) throw new Error('no second host on the site');
    const site = host.site;
    const hostRef = await soap.byName('HostSystem', host.name);
    const pool = await poolOf(site);
    const res = await runTask(
      'RegisterVM_Task',
      await vmFolder(),
      textXml('path', path) + textXml('asTemplate', false) + refXml('pool', pool) + refXml('host', hostRef),
    );
    expect(res.state).toBe('success');
    const after = res.result?.moref();
    if (!after) throw new Error('RegisterVM_Task returned no VM');
    const p = await soap.props(after, [
      'name',
      'config.hardware.numCPU',
      'config.hardware.memoryMB',
      'runtime.host',
      'resourcePool',
      'summary.config.vmPathName',
      'customValue',
      'guest.toolsRunningStatus',
    ]);
    expect(p.get('name')?.text()).toBe(v.name);
    expect(p.get('config.hardware.numCPU')?.int()).toBe(v.numCpu);
    expect(p.get('config.hardware.memoryMB')?.int()).toBe(v.memoryMb);
    expect(p.get('runtime.host')?.text()).toBe(hostRef.value);
    expect(p.get('resourcePool')?.text()).toBe(pool.value);
    expect(p.get('summary.config.vmPathName')?.text()).toBe(path);
    expect(
      p
        .get('customValue')
        ?.children('CustomFieldValue')
        .map((c) => c.req('value').text()),
    ).toContain('team-infra');
    expect(await hostVms(host.name)).toContain(after.value);
    expect((await runTask('PowerOnVM_Task', after)).state).toBe('success');
    expect((await soap.prop(after, 'guest.toolsRunningStatus'))?.text()).toBe('guestToolsRunning');

    const twice = await runTask(
      'RegisterVM_Task',
      await vmFolder(),
      textXml('path', path) + textXml('asTemplate', false) + refXml('pool', pool),
    );
    expect(twice).toMatchObject({ state: 'error', errorType: 'AlreadyExists' });
  });
});

describe('RelocateVM_Task', () => {
  it('moves a VM on a stretched datastore to a host of the other cluster and updates both hosts', async () => {
    const v = pickVm(
      (x) => x.datastores.every((d) => dsByName.get(d)?.method === 'live-volume') && x.host.includes(siteA),
    );
    const ref = await vmRef(v.name);
    const target = model.hosts.find((h) => h.site === siteB);
    if (!target) throw new Error('no host on the other site');
    const targetRef = await soap.byName('HostSystem', target.name);
    const pool = await poolOf(siteB);
    const spec = `<spec xsi:type="VirtualMachineRelocateSpec">${refXml('pool', pool)}${refXml('host', targetRef)}</spec>`;
    expect((await runTask('RelocateVM_Task', ref, spec)).state).toBe('success');
    const p = await soap.props(ref, ['runtime.host', 'resourcePool']);
    expect(p.get('runtime.host')?.text()).toBe(targetRef.value);
    expect(p.get('resourcePool')?.text()).toBe(pool.value);
    expect(await hostVms(v.host)).not.toContain(ref.value);
    expect(await hostVms(target.name)).toContain(ref.value);
    expect((await soap.prop(pool, 'vm'))?.children('ManagedObjectReference').map((r) => r.text())).toContain(
      ref.value,
    );
    expect((await labVms()).find((x) => x.name === v.name)).toMatchObject({ host: target.name, site: siteB });
  });

  it('fails when the target host does not mount the VM’s datastores, or the pool is missing', async () => {
    const v = pickVm((x) => onOneSite(x) && x.host.includes(siteA));
    const ref = await vmRef(v.name);
    const target = model.hosts.find((h) => h.site === siteB);
    if (!target) throw new Error('no host on the other site');
    const targetRef = await soap.byName('HostSystem', target.name);
    const pool = await poolOf(siteB);
    const spec = `<spec>${refXml('pool', pool)}${refXml('host', targetRef)}</spec>`;
    const res = await runTask('RelocateVM_Task', ref, spec);
    expect(res).toMatchObject({ state: 'error', errorType: 'DatastoreNotWritableOnHost' });
    expect(res.errorMessage).toContain(v.datastores[0]);
    const noPool = await runTask('RelocateVM_Task', ref, `<spec>${refXml('host', targetRef)}</spec>`);
    expect(noPool).toMatchObject({ state: 'error', errorType: 'InvalidArgument' });
    expect(await hostVms(v.host)).toContain(ref.value);
  });
});

describe('control API moves', () => {
  it('recovers a VM on another site’s datastore the way Zerto does, then powers it off', async () => {
    const v = pickVm(
      (x) => x.datastores.every((d) => dsByName.get(d)?.method === 'zerto') && x.host.includes(siteA),
    );
    const old = await vmRef(v.name);
    const host = model.hosts.find((h) => h.site === siteB);
    const recovery = model.datastores.find(
      (d) => d.method === 'none' && d.site === siteB && d.name.startsWith('ZERTO'),
    );
    if (!host || !recovery) throw new Error('no recovery host or datastore');
    await lab('/vm/relocate', { vm: v.name, host: host.name, datastore: recovery.name, powerOn: true });
    const s = (await labVms()).find((x) => x.name === v.name);
    expect(s).toMatchObject({
      registered: true,
      host: host.name,
      site: siteB,
      powerState: 'poweredOn',
      numCpu: v.numCpu,
      memoryMb: v.memoryMb,
    });
    const ref = await vmRef(v.name);
    expect(ref.value).not.toBe(old.value);
    const p = await soap.props(ref, ['runtime.host', 'summary.config.vmPathName', 'datastore']);
    expect(p.get('runtime.host')?.text()).toBe((await soap.byName('HostSystem', host.name)).value);
    expect(p.get('summary.config.vmPathName')?.text()).toBe(`[${recovery.name}] ${v.name}/${v.name}.vmx`);
    await expectFault(soap.props(old, ['name']), 'ManagedObjectNotFound');
    await lab('/vm/power', { vm: v.name, on: false });
    expect((await soap.prop(ref, 'runtime.powerState'))?.text()).toBe('poweredOff');
  });
});

describe('host storage', () => {
  it('refuses to unmount a datastore used by a VM registered on that host', async () => {
    const v = pickVm((x) => onOneSite(x) && x.datastores.length === 1);
    const d = dsByName.get(v.datastores[0] ?? '');
    if (!d) throw new Error('no datastore');
    const host = await soap.byName('HostSystem', v.host);
    const storage = (await soap.prop(host, 'configManager.storageSystem'))?.moref();
    if (!storage) throw new Error('no storage system');
    const fault = await expectFault(
      soap.call('UnmountVmfsVolume', storage, textXml('vmfsUuid', d.vmfsUuid)),
      'ResourceInUse',
    );
    expect(fault.faultString).toContain(d.name);
    const mounted = (await soap.prop(storage, 'fileSystemVolumeInfo.mountInfo'))
      ?.children('HostFileSystemMountInfo')
      .map((m) => m.req('volume', 'uuid').text());
    expect(mounted).toContain(d.vmfsUuid);
  });

  it('unmounts a datastore no VM of the host uses, and mounts it back', async () => {
    // A Live Volume datastore of the other site: mounted here, but its VMs run over there.
    const d = model.datastores.find((x) => x.method === 'live-volume' && x.site === siteB);
    const h = model.hosts.find((x) => x.site === siteA);
    if (!d || !h) throw new Error('no stretched datastore');
    const host = await soap.byName('HostSystem', h.name);
    const dsRef = await soap.byName('Datastore', d.name);
    const storage = (await soap.prop(host, 'configManager.storageSystem'))?.moref();
    if (!storage) throw new Error('no storage system');
    const mounts = async () =>
      (await soap.prop(storage, 'fileSystemVolumeInfo.mountInfo'))
        ?.children('HostFileSystemMountInfo')
        .map((m) => m.req('volume', 'uuid').text()) ?? [];
    const dsHosts = async () =>
      (await soap.prop(dsRef, 'host'))?.children('DatastoreHostMount').map((m) => m.req('key').text()) ?? [];
    await soap.call('UnmountVmfsVolume', storage, textXml('vmfsUuid', d.vmfsUuid));
    expect(await mounts()).not.toContain(d.vmfsUuid);
    expect(await dsHosts()).not.toContain(host.value);
    await expectFault(soap.call('UnmountVmfsVolume', storage, textXml('vmfsUuid', d.vmfsUuid)), 'NotFound');
    await soap.call('MountVmfsVolume', storage, textXml('vmfsUuid', d.vmfsUuid));
    expect(await mounts()).toContain(d.vmfsUuid);
    expect(await dsHosts()).toContain(host.value);
  });

  it('keeps the adapter list stable across rescans', async () => {
    const host = await soap.byName('HostSystem', model.hosts[0]?.name ?? '');
    const storage = (await soap.prop(host, 'configManager.storageSystem'))?.moref();
    if (!storage) throw new Error('no storage system');
    const adapters = async () =>
      (
        (await soap.prop(storage, 'storageDeviceInfo.hostBusAdapter'))?.children('HostHostBusAdapter') ?? []
      ).map((a) => a.req('device').text());
    const first = await adapters();
    await soap.call('RescanAllHba', storage);
    await soap.call('RescanAllHba', storage);
    expect(await adapters()).toEqual(first);
    expect(first.length).toBeGreaterThan(0);
  });
});
