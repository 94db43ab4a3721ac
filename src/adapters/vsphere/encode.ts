import type {
  MoRef,
  ObjectSpec,
  PropertyFilterSpec,
  PropertySpec,
  RetrieveOptions,
  SelectionSpec,
  TraversalSpec,
  VmfsResolution,
} from './types.js';
import { escapeXml } from './xml.js';

// Typed request builders, one per vim25 method Bascule calls. vCenter validates requests against
// its WSDL, which is strict about element order, so every builder writes fields in the WSDL
// sequence (govmomi's struct order). Every string from outside (names, paths, passwords) goes
// through escapeXml; `_this` and every other MoRef carries its `type` attribute, without which
// vCenter (and the simulator) cannot resolve the object.

/** One SOAP call: the method name (for logs, errors and retry policy) and its Body element. */
export interface MethodCall {
  method: string;
  body: string;
}

export const SOAP_ENVELOPE_START =
  '<?xml version="1.0" encoding="UTF-8"?>' +
  '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"' +
  ' xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
  '<soapenv:Body>';
export const SOAP_ENVELOPE_END = '</soapenv:Body></soapenv:Envelope>';

export function envelope(call: MethodCall): string {
  return SOAP_ENVELOPE_START + call.body + SOAP_ENVELOPE_END;
}

function text(name: string, value: string): string {
  return `<${name}>${escapeXml(value)}</${name}>`;
}

function optText(name: string, value: string | undefined): string {
  return value === undefined ? '' : text(name, value);
}

function bool(name: string, value: boolean): string {
  return `<${name}>${value ? 'true' : 'false'}</${name}>`;
}

function optBool(name: string, value: boolean | undefined): string {
  return value === undefined ? '' : bool(name, value);
}

function int(name: string, value: number): string {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${name} must be an integer, got ${value}`);
  return `<${name}>${value}</${name}>`;
}

export function moRefXml(name: string, ref: MoRef, xsiType?: string): string {
  const typeAttr = xsiType === undefined ? '' : ` xsi:type="${xsiType}"`;
  return `<${name}${typeAttr} type="${escapeXml(ref.type)}">${escapeXml(ref.value)}</${name}>`;
}

function optMoRef(name: string, ref: MoRef | undefined): string {
  return ref === undefined ? '' : moRefXml(name, ref);
}

function method(name: string, self: MoRef, args = ''): MethodCall {
  return { method: name, body: `<${name} xmlns="urn:vim25">${moRefXml('_this', self)}${args}</${name}>` };
}

// PropertyCollector data objects.

function selectionSpecXml(spec: TraversalSpec | (SelectionSpec & { kind: 'SelectionSpec' })): string {
  if (spec.kind === 'SelectionSpec') {
    return `<selectSet xsi:type="SelectionSpec">${optText('name', spec.name)}</selectSet>`;
  }
  return (
    '<selectSet xsi:type="TraversalSpec">' +
    optText('name', spec.name) +
    text('type', spec.type) +
    text('path', spec.path) +
    optBool('skip', spec.skip) +
    (spec.selectSet ?? []).map(selectionSpecXml).join('') +
    '</selectSet>'
  );
}

function propertySpecXml(spec: PropertySpec): string {
  return (
    '<propSet>' +
    text('type', spec.type) +
    optBool('all', spec.all) +
    (spec.pathSet ?? []).map((p) => text('pathSet', p)).join('') +
    '</propSet>'
  );
}

function objectSpecXml(spec: ObjectSpec): string {
  return (
    '<objectSet>' +
    moRefXml('obj', spec.obj) +
    optBool('skip', spec.skip) +
    (spec.selectSet ?? []).map(selectionSpecXml).join('') +
    '</objectSet>'
  );
}

function propertyFilterSpecXml(spec: PropertyFilterSpec): string {
  return (
    '<specSet>' +
    spec.propSet.map(propertySpecXml).join('') +
    spec.objectSet.map(objectSpecXml).join('') +
    optBool('reportMissingObjectsInResults', spec.reportMissingObjectsInResults) +
    '</specSet>'
  );
}

// Session.

export function retrieveServiceContent(): MethodCall {
  return method('RetrieveServiceContent', { type: 'ServiceInstance', value: 'ServiceInstance' });
}

export function login(
  sessionManager: MoRef,
  userName: string,
  password: string,
  locale?: string,
): MethodCall {
  return method(
    'Login',
    sessionManager,
    text('userName', userName) + text('password', password) + optText('locale', locale),
  );
}

export function logout(sessionManager: MoRef): MethodCall {
  return method('Logout', sessionManager);
}

// Inventory.

export function createContainerView(
  viewManager: MoRef,
  container: MoRef,
  types: readonly string[],
  recursive: boolean,
): MethodCall {
  return method(
    'CreateContainerView',
    viewManager,
    moRefXml('container', container) +
      types.map((t) => text('type', t)).join('') +
      bool('recursive', recursive),
  );
}

export function destroyView(view: MoRef): MethodCall {
  return method('DestroyView', view);
}

export function retrievePropertiesEx(
  propertyCollector: MoRef,
  specSet: readonly PropertyFilterSpec[],
  options: RetrieveOptions = {},
): MethodCall {
  return method(
    'RetrievePropertiesEx',
    propertyCollector,
    specSet.map(propertyFilterSpecXml).join('') +
      `<options>${options.maxObjects === undefined ? '' : int('maxObjects', options.maxObjects)}</options>`,
  );
}

export function continueRetrievePropertiesEx(propertyCollector: MoRef, token: string): MethodCall {
  return method('ContinueRetrievePropertiesEx', propertyCollector, text('token', token));
}

export function cancelRetrievePropertiesEx(propertyCollector: MoRef, token: string): MethodCall {
  return method('CancelRetrievePropertiesEx', propertyCollector, text('token', token));
}

export function findByDatastorePath(searchIndex: MoRef, datacenter: MoRef, path: string): MethodCall {
  return method('FindByDatastorePath', searchIndex, moRefXml('datacenter', datacenter) + text('path', path));
}

// Virtual machines.

export function powerOnVm(vm: MoRef, host?: MoRef): MethodCall {
  return method('PowerOnVM_Task', vm, optMoRef('host', host));
}

export function powerOffVm(vm: MoRef): MethodCall {
  return method('PowerOffVM_Task', vm);
}

export function shutdownGuest(vm: MoRef): MethodCall {
  return method('ShutdownGuest', vm);
}

export interface OptionValue {
  key: string;
  /** Encoded with its schema type: a string, a boolean or an int. */
  value: string | boolean | number;
}

function optionValueXml(o: OptionValue): string {
  const [xsd, v] =
    typeof o.value === 'boolean'
      ? ['xsd:boolean', o.value ? 'true' : 'false']
      : typeof o.value === 'number'
        ? ['xsd:int', String(Math.trunc(o.value))]
        : ['xsd:string', escapeXml(o.value)];
  return `<option xsi:type="OptionValue">${text('key', o.key)}<value xsi:type="${xsd}">${v}</value></option>`;
}

export function powerOnMultiVm(
  datacenter: MoRef,
  vms: readonly MoRef[],
  options: readonly OptionValue[] = [],
): MethodCall {
  return method(
    'PowerOnMultiVM_Task',
    datacenter,
    vms.map((vm) => moRefXml('vm', vm)).join('') + options.map(optionValueXml).join(''),
  );
}

export function unregisterVm(vm: MoRef): MethodCall {
  return method('UnregisterVM', vm);
}

export interface RegisterVmArgs {
  path: string;
  name?: string;
  asTemplate: boolean;
  pool?: MoRef;
  host?: MoRef;
}

export function registerVm(folder: MoRef, args: RegisterVmArgs): MethodCall {
  return method(
    'RegisterVM_Task',
    folder,
    text('path', args.path) +
      optText('name', args.name) +
      bool('asTemplate', args.asTemplate) +
      optMoRef('pool', args.pool) +
      optMoRef('host', args.host),
  );
}

export interface RelocateSpec {
  folder?: MoRef;
  datastore?: MoRef;
  pool?: MoRef;
  host?: MoRef;
}

export type MovePriority = 'defaultPriority' | 'highPriority' | 'lowPriority';

export function relocateVm(
  vm: MoRef,
  spec: RelocateSpec,
  priority: MovePriority = 'defaultPriority',
): MethodCall {
  // VirtualMachineRelocateSpec order: service, folder, datastore, diskMoveType, pool, host, disk, …
  const specXml =
    optMoRef('folder', spec.folder) +
    optMoRef('datastore', spec.datastore) +
    optMoRef('pool', spec.pool) +
    optMoRef('host', spec.host);
  return method('RelocateVM_Task', vm, `<spec>${specXml}</spec>${text('priority', priority)}`);
}

// Host storage (HostStorageSystem).

export function rescanAllHba(storageSystem: MoRef): MethodCall {
  return method('RescanAllHba', storageSystem);
}

export function rescanVmfs(storageSystem: MoRef): MethodCall {
  return method('RescanVmfs', storageSystem);
}

export function mountVmfsVolume(storageSystem: MoRef, vmfsUuid: string): MethodCall {
  return method('MountVmfsVolume', storageSystem, text('vmfsUuid', vmfsUuid));
}

export function unmountVmfsVolume(storageSystem: MoRef, vmfsUuid: string): MethodCall {
  return method('UnmountVmfsVolume', storageSystem, text('vmfsUuid', vmfsUuid));
}

export function queryUnresolvedVmfsVolume(storageSystem: MoRef): MethodCall {
  return method('QueryUnresolvedVmfsVolume', storageSystem);
}

export interface VmfsResolutionSpec {
  extentDevicePaths: readonly string[];
  uuidResolution: VmfsResolution;
}

export function resolveMultipleUnresolvedVmfsVolumes(
  storageSystem: MoRef,
  specs: readonly VmfsResolutionSpec[],
): MethodCall {
  const specXml = specs
    .map(
      (s) =>
        '<resolutionSpec>' +
        s.extentDevicePaths.map((p) => text('extentDevicePath', p)).join('') +
        text('uuidResolution', s.uuidResolution) +
        '</resolutionSpec>',
    )
    .join('');
  return method('ResolveMultipleUnresolvedVmfsVolumes', storageSystem, specXml);
}
