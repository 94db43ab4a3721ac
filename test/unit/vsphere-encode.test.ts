import { describe, expect, it } from 'vitest';
import * as enc from '../../src/adapters/vsphere/encode.js';
import { inventorySpecs } from '../../src/adapters/vsphere/inventory.js';
import { moRef } from '../../src/adapters/vsphere/types.js';
import { escapeXml, parseXml, XmlEncodeError } from '../../src/adapters/vsphere/xml.js';

// What goes on the wire: escaping of every outside string, `type` on every MoRef, `xsi:type` on
// polymorphic values, and the WSDL element order vCenter insists on.

/** Local names of the direct children of `inner`, in document order (top level only). */
function childOrder(xml: string): string[] {
  const names: string[] = [];
  let depth = 0;
  for (const m of xml.matchAll(/<(\/?)([A-Za-z_][\w.:-]*)[^>]*?(\/?)>/g)) {
    const [, close, name, selfClose] = m;
    if (close) depth--;
    else {
      if (depth === 0 && name) names.push(name);
      if (!selfClose) depth++;
    }
  }
  return names;
}

function inner(body: string, element: string): string {
  const start = body.indexOf('>', body.indexOf(`<${element}`)) + 1;
  const end = body.lastIndexOf(`</${element}>`);
  return body.slice(start, end);
}

describe('escaping', () => {
  it('escapes the five XML specials in text and attributes', () => {
    expect(escapeXml(`a&b<c>d"e'f`)).toBe('a&amp;b&lt;c&gt;d&quot;e&apos;f');
  });

  it('refuses control characters XML cannot carry instead of altering the value', () => {
    expect(() => escapeXml('vm\u0001name')).toThrow(XmlEncodeError);
    expect(() => enc.login(moRef('SessionManager', 'SessionManager'), 'u', 'p\u0000')).toThrow(
      expect.objectContaining({ code: 'VSPHERE_INVALID_ARGUMENT' }),
    );
    expect(escapeXml('tab\tnew\nline')).toBe('tab\tnew\nline');
  });

  it('escapes user name and password in Login and they round-trip through the parser', () => {
    const call = enc.login(moRef('SessionManager', 'SessionManager'), 'DOM\\<admin>', 'p&ss"w<0>rd\'');
    expect(call.body).toContain('<userName>DOM\\&lt;admin&gt;</userName>');
    expect(call.body).toContain('<password>p&amp;ss&quot;w&lt;0&gt;rd&apos;</password>');
    const login = parseXml(enc.envelope(call)).children?.[0]?.children?.[0];
    expect(login?.name).toBe('Login');
    expect(login?.children?.map((c) => c.text)).toEqual(['SessionManager', 'DOM\\<admin>', 'p&ss"w<0>rd\'']);
  });

  it('escapes MoRef values and types', () => {
    expect(enc.moRefXml('vm', moRef('VirtualMachine', 'vm-<1>&'))).toBe(
      '<vm type="VirtualMachine">vm-&lt;1&gt;&amp;</vm>',
    );
  });
});

describe('envelope and _this', () => {
  it('wraps the call in a SOAP 1.1 envelope with xsi and the urn:vim25 namespace', () => {
    const xml = enc.envelope(enc.retrieveServiceContent());
    expect(xml).toContain('xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"');
    expect(xml).toContain('xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"');
    expect(xml).toContain(
      '<RetrieveServiceContent xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance</_this></RetrieveServiceContent>',
    );
  });

  it('always gives _this its type attribute', () => {
    const calls = [
      enc.powerOnVm(moRef('VirtualMachine', 'vm-1')),
      enc.unregisterVm(moRef('VirtualMachine', 'vm-1')),
      enc.rescanAllHba(moRef('HostStorageSystem', 'storageSystem-7')),
      enc.destroyView(moRef('ContainerView', 'session[52]view-1')),
    ];
    for (const c of calls)
      expect(c.body).toMatch(new RegExp(`^<${c.method} xmlns="urn:vim25"><_this type="\\w+">`));
  });
});

describe('WSDL order', () => {
  it('RegisterVM_Task: path, name, asTemplate, pool, host', () => {
    const call = enc.registerVm(moRef('Folder', 'group-v3'), {
      host: moRef('HostSystem', 'host-9'),
      pool: moRef('ResourcePool', 'resgroup-8'),
      asTemplate: false,
      name: 'web & co',
      path: '[SAN-01] web-01/web-01.vmx',
    });
    expect(childOrder(inner(call.body, 'RegisterVM_Task'))).toEqual([
      '_this',
      'path',
      'name',
      'asTemplate',
      'pool',
      'host',
    ]);
    expect(call.body).toContain('<name>web &amp; co</name>');
    expect(call.body).toContain(
      '<pool type="ResourcePool">resgroup-8</pool><host type="HostSystem">host-9</host>',
    );
  });

  it('RegisterVM_Task leaves out the optional fields not given', () => {
    const call = enc.registerVm(moRef('Folder', 'group-v3'), { path: '[ds] a/a.vmx', asTemplate: false });
    expect(childOrder(inner(call.body, 'RegisterVM_Task'))).toEqual(['_this', 'path', 'asTemplate']);
  });

  it('RelocateVM_Task: spec{folder, datastore, pool, host} then priority', () => {
    const call = enc.relocateVm(moRef('VirtualMachine', 'vm-1'), {
      host: moRef('HostSystem', 'host-2'),
      pool: moRef('ResourcePool', 'resgroup-2'),
      folder: moRef('Folder', 'group-v3'),
    });
    expect(childOrder(inner(call.body, 'RelocateVM_Task'))).toEqual(['_this', 'spec', 'priority']);
    expect(childOrder(inner(call.body, 'spec'))).toEqual(['folder', 'pool', 'host']);
  });

  it('RetrievePropertiesEx: specSet(propSet…, objectSet…) then options{maxObjects}', () => {
    const view = moRef('ContainerView', 'session[x]view-3');
    const call = enc.retrievePropertiesEx(
      moRef('PropertyCollector', 'propertyCollector'),
      inventorySpecs(view, moRef('CustomFieldsManager', 'CustomFieldsManager')),
      { maxObjects: 250 },
    );
    const top = childOrder(inner(call.body, 'RetrievePropertiesEx'));
    expect(top).toEqual(['_this', 'specSet', 'specSet', 'options']);
    const firstSpec = call.body.slice(call.body.indexOf('<specSet>') + 9, call.body.indexOf('</specSet>'));
    expect(childOrder(firstSpec)).toEqual([
      'propSet',
      'propSet',
      'propSet',
      'propSet',
      'propSet',
      'objectSet',
    ]);
    expect(call.body).toContain('<options><maxObjects>250</maxObjects></options>');
    // PropertySpec: type before pathSet; ObjectSpec: obj, skip, selectSet.
    expect(call.body).toContain('<propSet><type>VirtualMachine</type><pathSet>name</pathSet>');
    expect(call.body).toContain(
      '<objectSet><obj type="ContainerView">session[x]view-3</obj><skip>true</skip>' +
        '<selectSet xsi:type="TraversalSpec"><name>view</name><type>ContainerView</type><path>view</path><skip>false</skip></selectSet>' +
        '</objectSet>',
    );
  });

  it('CreateContainerView: container, type…, recursive', () => {
    const call = enc.createContainerView(
      moRef('ViewManager', 'ViewManager'),
      moRef('Folder', 'group-d1'),
      ['VirtualMachine', 'HostSystem'],
      true,
    );
    expect(childOrder(inner(call.body, 'CreateContainerView'))).toEqual([
      '_this',
      'container',
      'type',
      'type',
      'recursive',
    ]);
  });

  it('ResolveMultipleUnresolvedVmfsVolumes: extentDevicePath… then uuidResolution', () => {
    const call = enc.resolveMultipleUnresolvedVmfsVolumes(moRef('HostStorageSystem', 'ss-1'), [
      {
        extentDevicePaths: ['/vmfs/devices/disks/naa.1:1', '/vmfs/devices/disks/naa.2:1'],
        uuidResolution: 'forceMount',
      },
    ]);
    expect(childOrder(inner(call.body, 'resolutionSpec'))).toEqual([
      'extentDevicePath',
      'extentDevicePath',
      'uuidResolution',
    ]);
  });
});

describe('polymorphic values', () => {
  it('OptionValue carries xsi:type on the option and on its value', () => {
    const call = enc.powerOnMultiVm(
      moRef('Datacenter', 'datacenter-2'),
      [moRef('VirtualMachine', 'vm-1'), moRef('VirtualMachine', 'vm-2')],
      [
        { key: 'OverrideAutomationLevel', value: 'fullyAutomated' },
        { key: 'ReserveResources', value: true },
      ],
    );
    expect(childOrder(inner(call.body, 'PowerOnMultiVM_Task'))).toEqual([
      '_this',
      'vm',
      'vm',
      'option',
      'option',
    ]);
    expect(call.body).toContain(
      '<option xsi:type="OptionValue"><key>OverrideAutomationLevel</key><value xsi:type="xsd:string">fullyAutomated</value></option>',
    );
    expect(call.body).toContain('<value xsi:type="xsd:boolean">true</value>');
  });

  it('nested TraversalSpec and named SelectionSpec both carry xsi:type', () => {
    const call = enc.retrievePropertiesEx(moRef('PropertyCollector', 'pc'), [
      {
        propSet: [{ type: 'Folder', pathSet: ['name'] }],
        objectSet: [
          {
            obj: moRef('Folder', 'group-d1'),
            selectSet: [
              {
                kind: 'TraversalSpec',
                name: 'folder',
                type: 'Folder',
                path: 'childEntity',
                selectSet: [{ kind: 'SelectionSpec', name: 'folder' }],
              },
            ],
          },
        ],
      },
    ]);
    expect(call.body).toContain(
      '<selectSet xsi:type="TraversalSpec"><name>folder</name><type>Folder</type><path>childEntity</path>' +
        '<selectSet xsi:type="SelectionSpec"><name>folder</name></selectSet></selectSet>',
    );
  });

  it('refuses a non-integer maxObjects rather than sending something vCenter rejects', () => {
    expect(() => enc.retrievePropertiesEx(moRef('PropertyCollector', 'pc'), [], { maxObjects: 1.5 })).toThrow(
      RangeError,
    );
  });
});
