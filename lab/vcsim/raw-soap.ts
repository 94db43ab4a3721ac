import { setTimeout as sleep } from 'node:timers/promises';
import { XMLParser } from 'fast-xml-parser';
import { Agent, request } from 'undici';

// A deliberately small vim25 SOAP client for the lab's own tests: raw envelopes over HTTPS with the
// lab CA (verification on), a strict-enough XML reader, and the few helpers the tests need. The
// product's client lives in src/adapters/vsphere.

export interface MoRef {
  type: string;
  value: string;
}

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function refXml(tag: string, ref: MoRef): string {
  return `<${tag} type="${esc(ref.type)}">${esc(ref.value)}</${tag}>`;
}

export function textXml(tag: string, value: string | number | boolean): string {
  return `<${tag}>${esc(String(value))}</${tag}>`;
}

/** Read-only view of a parsed XML element; element names match with or without a namespace prefix. */
export class XmlNode {
  constructor(private readonly raw: unknown) {}

  private obj(): Record<string, unknown> | undefined {
    return typeof this.raw === 'object' && this.raw !== null
      ? (this.raw as Record<string, unknown>)
      : undefined;
  }

  children(name: string): XmlNode[] {
    const o = this.obj();
    if (!o) return [];
    const out: XmlNode[] = [];
    for (const [k, v] of Object.entries(o)) {
      if (k.startsWith('@_') || k === '#text') continue;
      if ((k === name || k.endsWith(`:${name}`)) && Array.isArray(v))
        out.push(...v.map((x) => new XmlNode(x)));
    }
    return out;
  }

  /** Names of the child elements, in document order of first appearance. */
  names(): string[] {
    const o = this.obj();
    return o ? Object.keys(o).filter((k) => !k.startsWith('@_') && k !== '#text') : [];
  }

  child(name: string): XmlNode | undefined {
    return this.children(name)[0];
  }

  /** Follows a path of child names; throws when a step is missing. */
  req(...path: string[]): XmlNode {
    let node: XmlNode = this;
    for (const name of path) {
      const next = node.child(name);
      if (!next) throw new Error(`XML element ${path.join('/')} is missing (at ${name})`);
      node = next;
    }
    return node;
  }

  opt(...path: string[]): XmlNode | undefined {
    let node: XmlNode | undefined = this;
    for (const name of path) {
      node = node?.child(name);
    }
    return node;
  }

  text(): string {
    if (typeof this.raw === 'string') return this.raw;
    const t = this.obj()?.['#text'];
    return t === undefined ? '' : String(t);
  }

  int(): number {
    const n = Number.parseInt(this.text(), 10);
    if (!Number.isInteger(n)) throw new Error(`expected an integer, got "${this.text()}"`);
    return n;
  }

  attr(name: string): string | undefined {
    const v = this.obj()?.[`@_${name}`];
    return v === undefined ? undefined : String(v);
  }

  moref(): MoRef {
    const type = this.attr('type');
    if (!type) throw new Error(`element is not a managed object reference: ${JSON.stringify(this.raw)}`);
    return { type, value: this.text() };
  }
}

export class SoapFault extends Error {
  constructor(
    readonly faultType: string,
    readonly faultString: string,
    readonly detail: XmlNode | undefined,
  ) {
    super(`${faultType}: ${faultString}`);
    this.name = 'SoapFault';
  }
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (_name, _jpath, _leaf, isAttribute) => !isAttribute,
});

export interface ObjectContent {
  obj: MoRef;
  props: Map<string, XmlNode>;
}

export interface TaskOutcome {
  state: 'success' | 'error';
  result: XmlNode | undefined;
  errorType: string | undefined;
  errorMessage: string | undefined;
}

export interface ServiceContent {
  rootFolder: MoRef;
  propertyCollector: MoRef;
  viewManager: MoRef;
  sessionManager: MoRef;
  customFieldsManager: MoRef;
  searchIndex: MoRef;
}

export class RawSoapClient {
  private readonly agent: Agent;
  private cookie: string | undefined;
  private content: ServiceContent | undefined;

  constructor(
    readonly url: string,
    caPem: string,
  ) {
    this.agent = new Agent({ connect: { ca: caPem } });
  }

  /** Calls a method and returns its <MethodResponse> element; a SOAP fault throws SoapFault. */
  async call(method: string, self: MoRef, inner = ''): Promise<XmlNode> {
    const envelope =
      '<?xml version="1.0" encoding="UTF-8"?>' +
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
      'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
      `<soapenv:Body><${method} xmlns="urn:vim25">${refXml('_this', self)}${inner}</${method}></soapenv:Body>` +
      '</soapenv:Envelope>';
    const headers: Record<string, string> = {
      'content-type': 'text/xml; charset=utf-8',
      soapaction: 'urn:vim25/6.5',
    };
    if (this.cookie) headers.cookie = this.cookie;
    const res = await request(this.url, { method: 'POST', body: envelope, headers, dispatcher: this.agent });
    const text = await res.body.text();
    const setCookie = res.headers['set-cookie'];
    for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      const m = /^(vmware_soap_session=[^;]*)/.exec(line);
      if (m?.[1]) this.cookie = m[1];
    }
    if (res.statusCode !== 200 && res.statusCode !== 500) {
      throw new Error(`${method}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
    }
    const body = new XmlNode(parser.parse(text)).req('Envelope', 'Body');
    const fault = body.child('Fault');
    if (fault) {
      const detail = fault.child('detail');
      const first = detail?.names()[0];
      const node = first ? detail?.child(first) : undefined;
      const type = node?.attr('xsi:type') ?? first?.replace(/Fault$/, '') ?? 'UnknownFault';
      throw new SoapFault(type, fault.opt('faultstring')?.text() ?? '', node);
    }
    return body.req(`${method}Response`);
  }

  async serviceContent(): Promise<ServiceContent> {
    if (this.content) return this.content;
    const rv = (
      await this.call('RetrieveServiceContent', { type: 'ServiceInstance', value: 'ServiceInstance' })
    ).req('returnval');
    this.content = {
      rootFolder: rv.req('rootFolder').moref(),
      propertyCollector: rv.req('propertyCollector').moref(),
      viewManager: rv.req('viewManager').moref(),
      sessionManager: rv.req('sessionManager').moref(),
      customFieldsManager: rv.req('customFieldsManager').moref(),
      searchIndex: rv.req('searchIndex').moref(),
    };
    return this.content;
  }

  async login(user: string, password: string): Promise<void> {
    const sc = await this.serviceContent();
    await this.call('Login', sc.sessionManager, textXml('userName', user) + textXml('password', password));
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  async containerView(container: MoRef, type: string): Promise<MoRef> {
    const sc = await this.serviceContent();
    const res = await this.call(
      'CreateContainerView',
      sc.viewManager,
      refXml('container', container) + textXml('type', type) + textXml('recursive', true),
    );
    return res.req('returnval').moref();
  }

  /** One RetrievePropertiesEx page over a container view's objects of one type. */
  async retrieveView(
    view: MoRef,
    type: string,
    paths: string[],
    maxObjects?: number,
  ): Promise<{ objects: ObjectContent[]; token: string | undefined }> {
    const sc = await this.serviceContent();
    const spec =
      `<specSet><propSet>${textXml('type', type)}${paths.map((p) => textXml('pathSet', p)).join('')}</propSet>` +
      `<objectSet>${refXml('obj', view)}${textXml('skip', true)}` +
      `<selectSet xsi:type="TraversalSpec">${textXml('type', 'ContainerView')}${textXml('path', 'view')}${textXml('skip', false)}</selectSet>` +
      '</objectSet></specSet>' +
      `<options>${maxObjects === undefined ? '' : textXml('maxObjects', maxObjects)}</options>`;
    return parseResult(
      (await this.call('RetrievePropertiesEx', sc.propertyCollector, spec)).child('returnval'),
    );
  }

  async continueRetrieve(token: string): Promise<{ objects: ObjectContent[]; token: string | undefined }> {
    const sc = await this.serviceContent();
    return parseResult(
      (await this.call('ContinueRetrievePropertiesEx', sc.propertyCollector, textXml('token', token))).child(
        'returnval',
      ),
    );
  }

  async cancelRetrieve(token: string): Promise<void> {
    const sc = await this.serviceContent();
    await this.call('CancelRetrievePropertiesEx', sc.propertyCollector, textXml('token', token));
  }

  /** Properties of one object. */
  async props(obj: MoRef, paths: string[]): Promise<Map<string, XmlNode>> {
    const sc = await this.serviceContent();
    const spec =
      `<specSet><propSet>${textXml('type', obj.type)}${paths.map((p) => textXml('pathSet', p)).join('')}</propSet>` +
      `<objectSet>${refXml('obj', obj)}</objectSet></specSet><options></options>`;
    const res = parseResult(
      (await this.call('RetrievePropertiesEx', sc.propertyCollector, spec)).child('returnval'),
    );
    return res.objects[0]?.props ?? new Map();
  }

  async prop(obj: MoRef, path: string): Promise<XmlNode | undefined> {
    return (await this.props(obj, [path])).get(path);
  }

  /** All objects of a type under the root folder, with the given properties. */
  async list(type: string, paths: string[]): Promise<ObjectContent[]> {
    const sc = await this.serviceContent();
    const view = await this.containerView(sc.rootFolder, type);
    try {
      const out: ObjectContent[] = [];
      let page = await this.retrieveView(view, type, paths);
      out.push(...page.objects);
      while (page.token) {
        page = await this.continueRetrieve(page.token);
        out.push(...page.objects);
      }
      return out;
    } finally {
      await this.call('DestroyView', view);
    }
  }

  /** Finds one object by name. */
  async byName(type: string, name: string): Promise<MoRef> {
    const found = (await this.list(type, ['name'])).find((o) => o.props.get('name')?.text() === name);
    if (!found) throw new Error(`no ${type} named ${name}`);
    return found.obj;
  }

  /** Polls a task until it ends (the lab runs tasks for a scaled duration). */
  async waitTask(task: MoRef, limitMs = 60_000): Promise<TaskOutcome> {
    const deadline = Date.now() + limitMs;
    for (;;) {
      const info = await this.prop(task, 'info');
      const state = info?.opt('state')?.text();
      if (state === 'success' || state === 'error') {
        const error = info?.opt('error');
        return {
          state,
          result: info?.opt('result'),
          errorType: error?.opt('fault')?.attr('xsi:type'),
          errorMessage: error?.opt('localizedMessage')?.text(),
        };
      }
      if (Date.now() > deadline) throw new Error(`task ${task.value} still ${state} after ${limitMs} ms`);
      await sleep(20);
    }
  }
}

function parseResult(rv: XmlNode | undefined): { objects: ObjectContent[]; token: string | undefined } {
  if (!rv) return { objects: [], token: undefined };
  const objects = rv.children('objects').map((o) => {
    const props = new Map<string, XmlNode>();
    for (const p of o.children('propSet')) props.set(p.req('name').text(), p.req('val'));
    return { obj: o.req('obj').moref(), props };
  });
  const token = rv.opt('token')?.text();
  return { objects, token: token || undefined };
}
