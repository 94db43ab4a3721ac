import { VsphereError } from './errors.js';
import type {
  AboutInfo,
  MethodFaultInfo,
  MoRef,
  ServiceContent,
  TaskInfo,
  TaskState,
  UnresolvedVmfsVolume,
  UserSession,
  VmfsMount,
  VmfsResolutionResult,
} from './types.js';
import type { XmlElement, XmlNode } from './xml.js';

// Explicit decoders from the parsed tree to typed objects. They are driven by the schema of what
// was asked for, never by the look of the data: a field the schema declares as a list is always
// read as a list (one element arrives as a single child, none as no child at all), and only fields
// the schema types as int/long/boolean are converted. A response that does not fit throws
// DecodeError, which the session reports as VSPHERE_PROTOCOL.

/** A response that does not fit the vim25 schema as Bascule reads it. */
export class DecodeError extends VsphereError {
  /** What did not fit, without the method (callers that know it rewrap the error). */
  readonly reason: string;

  constructor(reason: string) {
    super('VSPHERE_PROTOCOL', `unexpected response from vCenter: ${reason}`, {
      method: 'decode',
      hint: 'This vCenter answers in a shape Bascule does not know; report it with the vCenter version.',
    });
    this.reason = reason;
  }
}

/** All children called `name`, as an array whatever their number. */
export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  const list = node?.children;
  if (list == null) return [];
  const out: XmlNode[] = [];
  for (const c of list) if (c.name === name) out.push(c);
  return out;
}

/** The first child called `name`. */
export function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  const list = node?.children;
  if (list == null) return undefined;
  for (const c of list) if (c.name === name) return c;
  return undefined;
}

/** Text content; an element with only attributes (an empty value with xsi:type) reads as ''. */
export function textOf(node: XmlNode): string {
  return node.text;
}

export function attr(node: XmlNode | undefined, name: string): string | undefined {
  return node?.attrs?.[name];
}

/** Local name of `xsi:type` (`xsd:int` → `int`, `ManagedObjectReference` unchanged). */
export function xsiType(node: XmlNode | undefined): string | undefined {
  const t = node?.xsiType;
  if (t == null) return undefined;
  const colon = t.indexOf(':');
  return colon < 0 ? t : t.slice(colon + 1);
}

function need(node: XmlNode | undefined, name: string, where: string): XmlNode {
  const c = child(node, name);
  if (c === undefined) throw new DecodeError(`${where}: missing <${name}>`);
  return c;
}

export function reqText(node: XmlNode | undefined, name: string, where: string): string {
  return textOf(need(node, name, where));
}

export function optText(node: XmlNode | undefined, name: string): string | null {
  const c = child(node, name);
  return c === undefined ? null : textOf(c);
}

const intPattern = /^-?\d+$/;

export function intOf(node: XmlNode, where: string): number {
  const t = textOf(node).trim();
  const n = Number(t);
  if (!intPattern.test(t) || !Number.isSafeInteger(n))
    throw new DecodeError(`${where}: "${t}" is not an integer`);
  return n;
}

export function reqInt(node: XmlNode | undefined, name: string, where: string): number {
  return intOf(need(node, name, where), `${where}.${name}`);
}

export function optInt(node: XmlNode | undefined, name: string, where: string): number | null {
  const c = child(node, name);
  return c === undefined ? null : intOf(c, `${where}.${name}`);
}

export function boolOf(node: XmlNode, where: string): boolean {
  const t = textOf(node).trim();
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  throw new DecodeError(`${where}: "${t}" is not a boolean`);
}

export function optBool(node: XmlNode | undefined, name: string, where: string): boolean | null {
  const c = child(node, name);
  return c === undefined ? null : boolOf(c, `${where}.${name}`);
}

export function moRefOf(node: XmlNode, where: string): MoRef {
  const type = attr(node, 'type');
  const value = textOf(node);
  if (type === undefined || value === '') throw new DecodeError(`${where}: not a managed object reference`);
  return { type, value };
}

export function reqMoRef(node: XmlNode | undefined, name: string, where: string): MoRef {
  return moRefOf(need(node, name, where), `${where}.${name}`);
}

export function optMoRef(node: XmlNode | undefined, name: string, where: string): MoRef | null {
  const c = child(node, name);
  return c === undefined ? null : moRefOf(c, `${where}.${name}`);
}

export function moRefList(node: XmlNode | undefined, name: string, where: string): MoRef[] {
  return children(node, name).map((c) => moRefOf(c, `${where}.${name}`));
}

/** The response element of a SOAP Body: `<MethodResponse>`; its `returnval` children hold the result. */
export function responseOf(envelope: XmlElement, method: string): XmlNode {
  const res = child(child(envelope, 'Body'), `${method}Response`);
  if (envelope.name !== 'Envelope' || res === undefined)
    throw new DecodeError(`no <${method}Response> in the SOAP body`);
  return res;
}

// Faults.

/** Flat view of a fault's fields for error details: text and MoRefs; nested objects by their text. */
function faultFields(node: XmlNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of node.children ?? []) {
    const type = c.attrs?.type;
    const value = type !== undefined ? `${type}:${c.text}` : c.children === null ? c.text : faultFields(c);
    const prev = out[c.name];
    out[c.name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

/** `detail` of a SOAP fault, or `fault` of a LocalizedMethodFault: the element carrying xsi:type. */
export function methodFaultOf(
  faultNode: XmlNode | undefined,
  message: string,
  fallbackType: string,
): MethodFaultInfo {
  if (faultNode === undefined) return { faultType: fallbackType, message, details: {} };
  return { faultType: xsiType(faultNode) ?? fallbackType, message, details: faultFields(faultNode) };
}

/** `soapenv:Fault` → fault info; the type comes from the detail's xsi:type, else its element name. */
export function soapFaultOf(envelope: XmlElement): MethodFaultInfo | null {
  const fault = child(child(envelope, 'Body'), 'Fault');
  if (fault === undefined) return null;
  const message = optText(fault, 'faultstring') ?? '';
  const detail = child(fault, 'detail')?.children?.[0];
  if (detail !== undefined) {
    const byName = detail.name.endsWith('Fault') ? detail.name.slice(0, -'Fault'.length) : detail.name;
    return methodFaultOf(detail, message, byName);
  }
  const code = optText(fault, 'faultcode') ?? 'ServerFaultCode';
  return { faultType: code.slice(code.indexOf(':') + 1), message, details: {} };
}

/** LocalizedMethodFault{fault, localizedMessage} (task errors, missingSet entries). */
export function localizedFaultOf(node: XmlNode, where: string): MethodFaultInfo {
  const fault = child(node, 'fault');
  const message = optText(node, 'localizedMessage') ?? '';
  const info = methodFaultOf(fault, message, 'MethodFault');
  if (fault === undefined) throw new DecodeError(`${where}: LocalizedMethodFault without <fault>`);
  return info;
}

// Session.

function aboutOf(node: XmlNode | undefined, where: string): AboutInfo {
  return {
    name: reqText(node, 'name', where),
    fullName: reqText(node, 'fullName', where),
    version: reqText(node, 'version', where),
    apiVersion: reqText(node, 'apiVersion', where),
    instanceUuid: optText(node, 'instanceUuid') ?? '',
  };
}

export function serviceContentOf(res: XmlNode): ServiceContent {
  const where = 'ServiceContent';
  const rv = need(res, 'returnval', where);
  return {
    about: aboutOf(need(rv, 'about', where), `${where}.about`),
    rootFolder: reqMoRef(rv, 'rootFolder', where),
    propertyCollector: reqMoRef(rv, 'propertyCollector', where),
    viewManager: reqMoRef(rv, 'viewManager', where),
    sessionManager: reqMoRef(rv, 'sessionManager', where),
    searchIndex: reqMoRef(rv, 'searchIndex', where),
    taskManager: optMoRef(rv, 'taskManager', where),
    customFieldsManager: optMoRef(rv, 'customFieldsManager', where),
  };
}

export function userSessionOf(res: XmlNode): UserSession {
  const rv = need(res, 'returnval', 'UserSession');
  return { key: reqText(rv, 'key', 'UserSession'), userName: reqText(rv, 'userName', 'UserSession') };
}

export function returnMoRef(res: XmlNode, where: string): MoRef {
  return reqMoRef(res, 'returnval', where);
}

export function optReturnMoRef(res: XmlNode, where: string): MoRef | null {
  return optMoRef(res, 'returnval', where);
}

// PropertyCollector results.

export interface ObjectContent {
  obj: MoRef;
  /** Property values by requested path; an unset property is absent. */
  props: Map<string, XmlNode>;
  missing: Array<{ path: string; fault: MethodFaultInfo }>;
}

export interface RetrieveResult {
  token: string | null;
  objects: ObjectContent[];
}

export function objectContentOf(node: XmlNode): ObjectContent {
  const where = 'ObjectContent';
  const props = new Map<string, XmlNode>();
  for (const p of children(node, 'propSet')) {
    const val = child(p, 'val');
    if (val !== undefined) props.set(reqText(p, 'name', `${where}.propSet`), val);
  }
  return {
    obj: reqMoRef(node, 'obj', where),
    props,
    missing: children(node, 'missingSet').map((m) => ({
      path: reqText(m, 'path', `${where}.missingSet`),
      fault: localizedFaultOf(need(m, 'fault', `${where}.missingSet`), `${where}.missingSet.fault`),
    })),
  };
}

/** RetrieveResult; no `returnval` at all is how vCenter says "nothing matched". */
export function retrieveResultOf(res: XmlNode): RetrieveResult {
  const rv = child(res, 'returnval');
  if (rv === undefined) return { token: null, objects: [] };
  return { token: optText(rv, 'token'), objects: children(rv, 'objects').map(objectContentOf) };
}

// Tasks.

const taskStates: readonly string[] = ['queued', 'running', 'success', 'error'];

export function taskInfoOf(node: XmlNode): TaskInfo {
  const where = 'TaskInfo';
  const state = reqText(node, 'state', where);
  if (!taskStates.includes(state)) throw new DecodeError(`${where}.state: unknown "${state}"`);
  const error = child(node, 'error');
  const result = child(node, 'result');
  return {
    key: reqText(node, 'key', where),
    task: reqMoRef(node, 'task', where),
    name: optText(node, 'name'),
    entity: optMoRef(node, 'entity', where),
    entityName: optText(node, 'entityName'),
    state: state as TaskState,
    progress: optInt(node, 'progress', where),
    error: error === undefined ? null : localizedFaultOf(error, `${where}.error`),
    resultRef:
      result !== undefined && xsiType(result) === 'ManagedObjectReference'
        ? moRefOf(result, `${where}.result`)
        : null,
    result: result ?? null,
  };
}

// Host storage.

/** HostFileSystemVolumeInfo.mountInfo → VMFS mounts (NFS and others are skipped). */
export function vmfsMountsOf(val: XmlNode): VmfsMount[] {
  const where = 'HostFileSystemMountInfo';
  const out: VmfsMount[] = [];
  for (const m of children(val, 'HostFileSystemMountInfo')) {
    const volume = child(m, 'volume');
    if (volume === undefined || xsiType(volume) !== 'HostVmfsVolume') continue;
    const info = child(m, 'mountInfo');
    out.push({
      vmfsUuid: reqText(volume, 'uuid', `${where}.volume`),
      name: reqText(volume, 'name', `${where}.volume`),
      path: optText(info, 'path'),
      mounted: optBool(info, 'mounted', `${where}.mountInfo`) ?? true,
      accessible: optBool(info, 'accessible', `${where}.mountInfo`) ?? true,
      extents: children(volume, 'extent').map((e) => reqText(e, 'diskName', `${where}.volume.extent`)),
    });
  }
  return out;
}

export function unresolvedVolumesOf(res: XmlNode): UnresolvedVmfsVolume[] {
  const where = 'HostUnresolvedVmfsVolume';
  return children(res, 'returnval').map((v) => {
    const status = child(v, 'resolveStatus');
    return {
      vmfsLabel: reqText(v, 'vmfsLabel', where),
      vmfsUuid: reqText(v, 'vmfsUuid', where),
      totalBlocks: reqInt(v, 'totalBlocks', where),
      resolvable: optBool(status, 'resolvable', `${where}.resolveStatus`) ?? false,
      extents: children(v, 'extent').map((e) => ({
        devicePath: reqText(e, 'devicePath', `${where}.extent`),
        vmfsUuid: reqText(e, 'vmfsUuid', `${where}.extent`),
        isHeadExtent: optBool(e, 'isHeadExtent', `${where}.extent`) ?? false,
      })),
    };
  });
}

export interface ResolutionResultWithFault extends VmfsResolutionResult {
  fault: MethodFaultInfo | null;
}

export function resolutionResultsOf(res: XmlNode): ResolutionResultWithFault[] {
  const where = 'HostUnresolvedVmfsResolutionResult';
  return children(res, 'returnval').map((r) => {
    const vmfs = child(r, 'vmfs');
    const fault = child(r, 'fault');
    return {
      devicePaths: children(child(r, 'spec'), 'extentDevicePath').map(textOf),
      vmfsUuid: vmfs === undefined ? null : reqText(vmfs, 'uuid', `${where}.vmfs`),
      name: vmfs === undefined ? null : reqText(vmfs, 'name', `${where}.vmfs`),
      fault: fault === undefined ? null : localizedFaultOf(fault, `${where}.fault`),
    };
  });
}
