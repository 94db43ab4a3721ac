import { describe, expect, it } from 'vitest';
import {
  DecodeError,
  type objectContentOf,
  responseOf,
  retrieveResultOf,
  serviceContentOf,
  soapFaultOf,
  taskInfoOf,
  unresolvedVolumesOf,
  vmfsMountsOf,
} from '../../src/adapters/vsphere/decode.js';
import { InventoryCollector } from '../../src/adapters/vsphere/inventory.js';
import { parseXml, type XmlNode } from '../../src/adapters/vsphere/xml.js';

// Response shapes as a real vCenter (7.0/8.0) sends them: the pretty-printed envelope head, arrays
// of one, empty results without returnval, xsi:type on polymorphic values, faults with details.

const head =
  '<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/"\n' +
  ' xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"\n xmlns:xsd="http://www.w3.org/2001/XMLSchema"\n' +
  ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n<soapenv:Body>\n';
const tail = '\n</soapenv:Body>\n</soapenv:Envelope>';

function response(method: string, inner: string): XmlNode {
  return responseOf(
    parseXml(`${head}<${method}Response xmlns="urn:vim25">${inner}</${method}Response>${tail}`),
    method,
  );
}

function objects(inner: string) {
  return retrieveResultOf(response('RetrievePropertiesEx', `<returnval>${inner}</returnval>`)).objects;
}

describe('ServiceContent', () => {
  it('decodes the MoRefs and about.apiVersion of a vCenter 8 answer', () => {
    const sc = serviceContentOf(
      response(
        'RetrieveServiceContent',
        '<returnval><rootFolder type="Folder">group-d1</rootFolder><propertyCollector type="PropertyCollector">propertyCollector</propertyCollector>' +
          '<viewManager type="ViewManager">ViewManager</viewManager><about><name>VMware vCenter Server</name>' +
          '<fullName>VMware vCenter Server 8.0.2 build-22617221</fullName><vendor>VMware, Inc.</vendor><version>8.0.2</version>' +
          '<patchLevel></patchLevel><build>22617221</build><localeVersion>INTL</localeVersion><localeBuild>000</localeBuild>' +
          '<osType>linux-x64</osType><productLineId>vpx</productLineId><apiType>VirtualCenter</apiType><apiVersion>8.0.2.0</apiVersion>' +
          '<instanceUuid>8e3e4d8a-1b6c-4a3e-9d6b-3f0c7b1a2c4d</instanceUuid><licenseProductName>VMware VirtualCenter Server</licenseProductName>' +
          '<licenseProductVersion>8.0</licenseProductVersion></about><setting type="OptionManager">VpxSettings</setting>' +
          '<sessionManager type="SessionManager">SessionManager</sessionManager><taskManager type="TaskManager">TaskManager</taskManager>' +
          '<customFieldsManager type="CustomFieldsManager">CustomFieldsManager</customFieldsManager>' +
          '<searchIndex type="SearchIndex">SearchIndex</searchIndex></returnval>',
      ),
    );
    expect(sc.rootFolder).toEqual({ type: 'Folder', value: 'group-d1' });
    expect(sc.about.apiVersion).toBe('8.0.2.0');
    expect(sc.about.instanceUuid).toBe('8e3e4d8a-1b6c-4a3e-9d6b-3f0c7b1a2c4d');
    expect(sc.customFieldsManager).toEqual({ type: 'CustomFieldsManager', value: 'CustomFieldsManager' });
  });

  it('reports a missing mandatory field as DecodeError, not as undefined further on', () => {
    expect(() =>
      serviceContentOf(response('RetrieveServiceContent', '<returnval><about></about></returnval>')),
    ).toThrow(DecodeError);
  });
});

describe('RetrievePropertiesEx results', () => {
  it('no returnval at all means nothing matched', () => {
    expect(retrieveResultOf(response('RetrievePropertiesEx', ''))).toEqual({ token: null, objects: [] });
  });

  it('one object, one property: still arrays', () => {
    const [o, ...rest] = objects(
      '<objects><obj type="VirtualMachine">vm-42</obj><propSet><name>name</name><val xsi:type="xsd:string">web-01</val></propSet></objects>',
    );
    expect(rest).toEqual([]);
    expect(o?.obj).toEqual({ type: 'VirtualMachine', value: 'vm-42' });
    expect(o?.props.get('name')?.text).toBe('web-01');
  });

  it('keeps the paging token', () => {
    const res = retrieveResultOf(
      response(
        'RetrievePropertiesEx',
        '<returnval><token>1</token><objects><obj type="HostSystem">host-10</obj></objects></returnval>',
      ),
    );
    expect(res.token).toBe('1');
    expect(res.objects).toHaveLength(1);
  });

  it('reads missingSet with the fault type of the LocalizedMethodFault', () => {
    const [o] = objects(
      '<objects><obj type="VirtualMachine">vm-7</obj><missingSet><path>config.hardware.device</path><fault>' +
        '<fault xsi:type="NoPermission"><object type="VirtualMachine">vm-7</object><privilegeId>System.Read</privilegeId></fault>' +
        '<localizedMessage></localizedMessage></fault></missingSet></objects>',
    );
    expect(o?.missing).toEqual([
      {
        path: 'config.hardware.device',
        fault: {
          faultType: 'NoPermission',
          message: '',
          details: { object: 'VirtualMachine:vm-7', privilegeId: 'System.Read' },
        },
      },
    ]);
  });

  it('keeps names and values as strings: "007", "1e3", "true", padded spaces', () => {
    const [o] = objects(
      '<objects><obj type="VirtualMachine">vm-1</obj>' +
        '<propSet><name>name</name><val xsi:type="xsd:string">007</val></propSet>' +
        '<propSet><name>summary.config.vmPathName</name><val xsi:type="xsd:string">[ds] 1e3/1e3.vmx</val></propSet>' +
        '<propSet><name>customValue</name><val xsi:type="ArrayOfCustomFieldValue"><CustomFieldValue xsi:type="CustomFieldStringValue">' +
        '<key>101</key><value> true </value></CustomFieldValue></val></propSet></objects>',
    );
    expect(o?.props.get('name')?.text).toBe('007');
    expect(o?.props.get('name')?.xsiType).toBe('xsd:string');
    const cv = o?.props.get('customValue')?.children?.[0];
    expect(cv?.xsiType).toBe('CustomFieldStringValue');
    expect(cv?.children?.map((c) => [c.name, c.text])).toEqual([
      ['key', '101'],
      ['value', ' true '],
    ]);
  });

  it('decodes entities in values', () => {
    const [o] = objects(
      '<objects><obj type="VirtualMachine">vm-1</obj><propSet><name>name</name><val xsi:type="xsd:string">R&amp;D &lt;test&gt; &#233;t&#xE9;</val></propSet></objects>',
    );
    expect(o?.props.get('name')?.text).toBe('R&D <test> été');
  });
});

describe('faults', () => {
  function fault(detail: string, faultstring: string) {
    const doc = parseXml(
      `${head}<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>${faultstring}</faultstring>${detail}</soapenv:Fault>${tail}`,
    );
    return soapFaultOf(doc);
  }

  it('NotAuthenticated with its object and privilege', () => {
    expect(
      fault(
        '<detail><NotAuthenticatedFault xmlns="urn:vim25" xsi:type="NotAuthenticated"><object type="Folder">group-d1</object>' +
          '<privilegeId>System.View</privilegeId></NotAuthenticatedFault></detail>',
        'The session is not authenticated.',
      ),
    ).toEqual({
      faultType: 'NotAuthenticated',
      message: 'The session is not authenticated.',
      details: { object: 'Folder:group-d1', privilegeId: 'System.View' },
    });
  });

  it('InvalidLogin with an empty detail element', () => {
    expect(
      fault(
        '<detail><InvalidLoginFault xmlns="urn:vim25" xsi:type="InvalidLogin"></InvalidLoginFault></detail>',
        'Cannot complete login due to an incorrect user name or password.',
      )?.faultType,
    ).toBe('InvalidLogin');
  });

  it('InvalidPowerState with its states', () => {
    const f = fault(
      '<detail><InvalidPowerStateFault xmlns="urn:vim25" xsi:type="InvalidPowerState"><requestedState>poweredOn</requestedState>' +
        '<existingState>poweredOn</existingState></InvalidPowerStateFault></detail>',
      'The attempted operation cannot be performed in the current state (Powered on).',
    );
    expect(f?.faultType).toBe('InvalidPowerState');
    expect(f?.details).toEqual({ requestedState: 'poweredOn', existingState: 'poweredOn' });
  });

  it('ManagedObjectNotFound names the object', () => {
    const f = fault(
      '<detail><ManagedObjectNotFoundFault xmlns="urn:vim25" xsi:type="ManagedObjectNotFound"><obj type="VirtualMachine">vm-99</obj>' +
        '</ManagedObjectNotFoundFault></detail>',
      "The object 'vim.VirtualMachine:vm-99' has already been deleted or has not been completely created",
    );
    expect(f?.faultType).toBe('ManagedObjectNotFound');
    expect(f?.details).toEqual({ obj: 'VirtualMachine:vm-99' });
  });

  it('a namespaced xsi:type and a detail named only by its element both give the type', () => {
    expect(
      fault('<detail><ToolsUnavailableFault xsi:type="vim25:ToolsUnavailable"/></detail>', 'x')?.faultType,
    ).toBe('ToolsUnavailable');
    expect(
      fault('<detail><InvalidStateFault xmlns="urn:vim25"></InvalidStateFault></detail>', 'x')?.faultType,
    ).toBe('InvalidState');
  });

  it('a client fault without detail uses the fault code', () => {
    expect(fault('', 'Unable to parse the request')).toEqual({
      faultType: 'ServerFaultCode',
      message: 'Unable to parse the request',
      details: {},
    });
  });

  it('a body without fault is not a fault', () => {
    expect(
      soapFaultOf(parseXml(`${head}<LogoutResponse xmlns="urn:vim25"></LogoutResponse>${tail}`)),
    ).toBeNull();
  });
});

describe('TaskInfo', () => {
  const base =
    '<key>task-1234</key><task type="Task">task-1234</task><descriptionId>VirtualMachine.powerOn</descriptionId>' +
    '<entity type="VirtualMachine">vm-42</entity><entityName>web-01</entityName>';

  it('running with progress', () => {
    const info = taskInfoOf(
      parseXml(
        `<info>${base}<state>running</state><cancelled>false</cancelled><progress>40</progress></info>`,
      ),
    );
    expect(info).toMatchObject({
      state: 'running',
      progress: 40,
      entityName: 'web-01',
      error: null,
      resultRef: null,
    });
  });

  it('error with the fault type and localized message', () => {
    const info = taskInfoOf(
      parseXml(
        `<info>${base}<state>error</state><error><fault xsi:type="InvalidPowerState"><requestedState>poweredOn</requestedState>` +
          '<existingState>poweredOn</existingState></fault><localizedMessage>The attempted operation cannot be performed in the current state (Powered on).</localizedMessage></error></info>',
      ),
    );
    expect(info.state).toBe('error');
    expect(info.error?.faultType).toBe('InvalidPowerState');
    expect(info.error?.message).toMatch(/current state/);
  });

  it('success with a MoRef result (RegisterVM_Task)', () => {
    const info = taskInfoOf(
      parseXml(
        `<info>${base}<state>success</state><result type="VirtualMachine" xsi:type="ManagedObjectReference">vm-77</result></info>`,
      ),
    );
    expect(info.resultRef).toEqual({ type: 'VirtualMachine', value: 'vm-77' });
  });

  it('refuses an unknown state', () => {
    expect(() => taskInfoOf(parseXml(`<info>${base}<state>paused</state></info>`))).toThrow(DecodeError);
  });
});

describe('host storage', () => {
  it('mount table: VMFS only, arrays of one extent', () => {
    const val = parseXml(
      '<val xsi:type="ArrayOfHostFileSystemMountInfo"><HostFileSystemMountInfo><mountInfo><path>/vmfs/volumes/5f00-01</path>' +
        '<accessMode>readWrite</accessMode><mounted>true</mounted><accessible>false</accessible><inaccessibleReason>AllPathsDown_Start</inaccessibleReason>' +
        '</mountInfo><volume xsi:type="HostVmfsVolume"><type>VMFS</type><name>SAN-01</name><capacity>4398046511104</capacity>' +
        '<uuid>5f00-01</uuid><extent><diskName>naa.600a</diskName><partition>1</partition></extent></volume></HostFileSystemMountInfo>' +
        '<HostFileSystemMountInfo><mountInfo><path>/vmfs/volumes/nfs1</path><accessMode>readWrite</accessMode></mountInfo>' +
        '<volume xsi:type="HostNasVolume"><type>NFS</type><name>iso</name><capacity>1</capacity><remoteHost>nas</remoteHost>' +
        '<remotePath>/iso</remotePath></volume></HostFileSystemMountInfo></val>',
    );
    expect(vmfsMountsOf(val)).toEqual([
      {
        vmfsUuid: '5f00-01',
        name: 'SAN-01',
        path: '/vmfs/volumes/5f00-01',
        mounted: true,
        accessible: false,
        extents: ['naa.600a'],
      },
    ]);
  });

  it('QueryUnresolvedVmfsVolume: one volume, one extent, and the empty answer', () => {
    const vols = unresolvedVolumesOf(
      response(
        'QueryUnresolvedVmfsVolume',
        '<returnval><extent><device><diskName>naa.6005</diskName><partition>1</partition></device>' +
          '<devicePath>/vmfs/devices/disks/naa.6005:1</devicePath><vmfsUuid>5f00-01</vmfsUuid><isHeadExtent>true</isHeadExtent>' +
          '<ordinal>0</ordinal><startBlock>0</startBlock><endBlock>100</endBlock><reason>diskIdMismatch</reason></extent>' +
          '<vmfsLabel>SAN-01</vmfsLabel><vmfsUuid>5f00-01</vmfsUuid><totalBlocks>4194304</totalBlocks>' +
          '<resolveStatus><resolvable>true</resolvable><incompleteExtents>false</incompleteExtents><multipleCopies>false</multipleCopies></resolveStatus></returnval>',
      ),
    );
    expect(vols).toEqual([
      {
        vmfsLabel: 'SAN-01',
        vmfsUuid: '5f00-01',
        totalBlocks: 4194304,
        resolvable: true,
        extents: [{ devicePath: '/vmfs/devices/disks/naa.6005:1', vmfsUuid: '5f00-01', isHeadExtent: true }],
      },
    ]);
    expect(unresolvedVolumesOf(response('QueryUnresolvedVmfsVolume', ''))).toEqual([]);
  });
});

describe('inventory objects', () => {
  const vmXml =
    '<objects><obj type="VirtualMachine">vm-42</obj>' +
    '<propSet><name>config.hardware.device</name><val xsi:type="ArrayOfVirtualDevice">' +
    '<VirtualDevice xsi:type="VirtualIDEController"><key>200</key><deviceInfo><label>IDE 0</label><summary>IDE 0</summary></deviceInfo><busNumber>0</busNumber><device>3000</device></VirtualDevice>' +
    '<VirtualDevice xsi:type="VirtualCdrom"><key>3000</key><deviceInfo><label>CD/DVD drive 1</label><summary>ISO [ISO-LIB] images/debian-12.iso</summary></deviceInfo>' +
    '<backing xsi:type="VirtualCdromIsoBackingInfo"><fileName>[ISO-LIB] images/debian-12.iso</fileName><datastore type="Datastore">datastore-30</datastore></backing>' +
    '<connectable><startConnected>true</startConnected><allowGuestControl>true</allowGuestControl><connected>true</connected><status>ok</status></connectable>' +
    '<controllerKey>200</controllerKey><unitNumber>0</unitNumber></VirtualDevice>' +
    '<VirtualDevice xsi:type="VirtualCdrom"><key>3001</key><deviceInfo><label>CD/DVD drive 2</label><summary>Remote device</summary></deviceInfo>' +
    '<backing xsi:type="VirtualCdromRemotePassthroughBackingInfo"><deviceName></deviceName><useAutoDetect>false</useAutoDetect><exclusive>false</exclusive></backing>' +
    '<connectable><startConnected>false</startConnected><allowGuestControl>true</allowGuestControl><connected>false</connected><status>untried</status></connectable>' +
    '<controllerKey>200</controllerKey><unitNumber>1</unitNumber></VirtualDevice></val></propSet>' +
    '<propSet><name>config.hardware.memoryMB</name><val xsi:type="xsd:int">8192</val></propSet>' +
    '<propSet><name>config.hardware.numCPU</name><val xsi:type="xsd:int">4</val></propSet>' +
    '<propSet><name>config.instanceUuid</name><val xsi:type="xsd:string">5003a1b2-0000-4c3d-8e9f-0123456789ab</val></propSet>' +
    '<propSet><name>config.template</name><val xsi:type="xsd:boolean">false</val></propSet>' +
    '<propSet><name>customValue</name><val xsi:type="ArrayOfCustomFieldValue"><CustomFieldValue xsi:type="CustomFieldStringValue"><key>101</key><value>ldap</value></CustomFieldValue></val></propSet>' +
    '<propSet><name>datastore</name><val xsi:type="ArrayOfManagedObjectReference"><ManagedObjectReference type="Datastore">datastore-11</ManagedObjectReference></val></propSet>' +
    '<propSet><name>guest.toolsRunningStatus</name><val xsi:type="xsd:string">guestToolsRunning</val></propSet>' +
    '<propSet><name>name</name><val xsi:type="xsd:string">007</val></propSet>' +
    '<propSet><name>resourcePool</name><val type="ResourcePool" xsi:type="ManagedObjectReference">resgroup-8</val></propSet>' +
    '<propSet><name>runtime.connectionState</name><val xsi:type="VirtualMachineConnectionState">connected</val></propSet>' +
    '<propSet><name>runtime.host</name><val type="HostSystem" xsi:type="ManagedObjectReference">host-10</val></propSet>' +
    '<propSet><name>runtime.powerState</name><val xsi:type="VirtualMachinePowerState">poweredOn</val></propSet>' +
    '<propSet><name>snapshot</name><val xsi:type="VirtualMachineSnapshotInfo"><currentSnapshot type="VirtualMachineSnapshot">snapshot-5</currentSnapshot>' +
    '<rootSnapshotList><snapshot type="VirtualMachineSnapshot">snapshot-5</snapshot><vm type="VirtualMachine">vm-42</vm><name>before-upgrade</name>' +
    '<description></description><id>1</id><createTime>2024-11-02T09:12:40.123Z</createTime><state>poweredOn</state><quiesced>false</quiesced></rootSnapshotList></val></propSet>' +
    '<propSet><name>summary.config.vmPathName</name><val xsi:type="xsd:string">[SAN-01] 007/007.vmx</val></propSet></objects>';

  const clusterXml =
    '<objects><obj type="ClusterComputeResource">domain-c7</obj>' +
    '<propSet><name>configurationEx</name><val xsi:type="ClusterConfigInfoEx"><dasConfig><enabled>true</enabled><vmMonitoring>vmMonitoringDisabled</vmMonitoring>' +
    '<hostMonitoring>enabled</hostMonitoring><failoverLevel>1</failoverLevel><admissionControlPolicy xsi:type="ClusterFailoverLevelAdmissionControlPolicy">' +
    '<failoverLevel>1</failoverLevel></admissionControlPolicy><admissionControlEnabled>true</admissionControlEnabled></dasConfig>' +
    '<drsConfig><enableVmBehaviorOverrides>true</enableVmBehaviorOverrides><defaultVmBehavior>fullyAutomated</defaultVmBehavior><vmotionRate>3</vmotionRate>' +
    '<enabled>true</enabled></drsConfig>' +
    '<rule xsi:type="ClusterAntiAffinityRuleSpec"><key>1</key><status>green</status><enabled>true</enabled><name>anti-affinity-ldap</name>' +
    '<mandatory>false</mandatory><userCreated>true</userCreated><inCompliance>true</inCompliance><ruleUuid>52a1</ruleUuid>' +
    '<vm type="VirtualMachine">vm-42</vm><vm type="VirtualMachine">vm-43</vm></rule>' +
    '<rule xsi:type="ClusterVmHostRuleInfo"><key>2</key><enabled>true</enabled><name>db-on-site5</name><vmGroupName>db</vmGroupName>' +
    '<affineHostGroupName>site5-hosts</affineHostGroupName></rule>' +
    '<group xsi:type="ClusterVmGroup"><name>db</name><vm type="VirtualMachine">vm-50</vm></group>' +
    '<group xsi:type="ClusterHostGroup"><name>site5-hosts</name><host type="HostSystem">host-10</host></group></val></propSet>' +
    '<propSet><name>host</name><val xsi:type="ArrayOfManagedObjectReference"><ManagedObjectReference type="HostSystem">host-10</ManagedObjectReference></val></propSet>' +
    '<propSet><name>name</name><val xsi:type="xsd:string">site5</val></propSet>' +
    '<propSet><name>resourcePool</name><val type="ResourcePool" xsi:type="ManagedObjectReference">resgroup-8</val></propSet></objects>';

  const hostXml =
    '<objects><obj type="HostSystem">host-10</obj>' +
    '<propSet><name>datastore</name><val xsi:type="ArrayOfManagedObjectReference"><ManagedObjectReference type="Datastore">datastore-11</ManagedObjectReference>' +
    '<ManagedObjectReference type="Datastore">datastore-30</ManagedObjectReference></val></propSet>' +
    '<propSet><name>name</name><val xsi:type="xsd:string">esx-site5-01</val></propSet>' +
    '<propSet><name>runtime.connectionState</name><val xsi:type="HostSystemConnectionState">connected</val></propSet>' +
    '<propSet><name>runtime.inMaintenanceMode</name><val xsi:type="xsd:boolean">false</val></propSet>' +
    '<propSet><name>summary.hardware.cpuMhz</name><val xsi:type="xsd:int">2600</val></propSet>' +
    '<propSet><name>summary.hardware.memorySize</name><val xsi:type="xsd:long">549755813888</val></propSet>' +
    '<propSet><name>summary.hardware.numCpuCores</name><val xsi:type="xsd:short">32</val></propSet></objects>';

  const dsXml = (id: string, name: string, accessible: boolean) =>
    `<objects><obj type="Datastore">${id}</obj>` +
    `<propSet><name>host</name><val xsi:type="ArrayOfDatastoreHostMount"><DatastoreHostMount><key type="HostSystem">host-10</key>` +
    `<mountInfo><path>/vmfs/volumes/u-${id}</path><accessMode>readWrite</accessMode><mounted>true</mounted><accessible>${accessible}</accessible></mountInfo>` +
    '</DatastoreHostMount></val></propSet>' +
    `<propSet><name>info</name><val xsi:type="VmfsDatastoreInfo"><name>${name}</name><url>ds:///vmfs/volumes/u-${id}/</url><freeSpace>1</freeSpace>` +
    `<vmfs><type>VMFS</type><name>${name}</name><capacity>4398046511104</capacity><uuid>u-${id}</uuid>` +
    '<extent><diskName>naa.1</diskName><partition>1</partition></extent></vmfs></val></propSet>' +
    `<propSet><name>name</name><val xsi:type="xsd:string">${name}</val></propSet>` +
    `<propSet><name>summary.accessible</name><val xsi:type="xsd:boolean">${accessible}</val></propSet>` +
    '<propSet><name>summary.capacity</name><val xsi:type="xsd:long">4398046511104</val></propSet>' +
    '<propSet><name>summary.freeSpace</name><val xsi:type="xsd:long">1099511627776</val></propSet>' +
    '<propSet><name>summary.type</name><val xsi:type="xsd:string">VMFS</val></propSet></objects>';

  const cfmXml =
    '<objects><obj type="CustomFieldsManager">CustomFieldsManager</obj><propSet><name>field</name><val xsi:type="ArrayOfCustomFieldDef">' +
    '<CustomFieldDef><key>101</key><name>service</name><type>string</type><managedObjectType>VirtualMachine</managedObjectType></CustomFieldDef>' +
    '</val></propSet></objects>';

  function build(xml: string) {
    const c = new InventoryCollector();
    for (const o of objects(xml)) c.add(o);
    return c.build('vc-uuid', '2025-01-01T00:00:00.000Z');
  }

  it('assembles a VM with every field, whatever the page order', () => {
    const inv = build(
      vmXml +
        clusterXml +
        hostXml +
        dsXml('datastore-11', 'SAN-01', true) +
        dsXml('datastore-30', 'ISO-LIB', false) +
        cfmXml,
    );
    expect(inv.vms).toEqual([
      {
        id: 'vm-42',
        name: '007',
        instanceUuid: '5003a1b2-0000-4c3d-8e9f-0123456789ab',
        powerState: 'poweredOn',
        connectionState: 'connected',
        host: 'host-10',
        resourcePool: 'resgroup-8',
        datastores: ['datastore-11'],
        vmxPath: '[SAN-01] 007/007.vmx',
        numCpu: 4,
        memoryMb: 8192,
        toolsRunning: true,
        cdroms: [
          { datastore: 'datastore-30', path: '[ISO-LIB] images/debian-12.iso', connected: true },
          { datastore: null, path: '', connected: false },
        ],
        hasSnapshots: true,
        template: false,
        attributes: { service: 'ldap' },
      },
    ]);
    expect(inv.clusters).toEqual([
      {
        id: 'domain-c7',
        name: 'site5',
        resourcePool: 'resgroup-8',
        hosts: ['host-10'],
        drsEnabled: true,
        haEnabled: true,
        haHostFailuresTolerated: 1,
        antiAffinityRules: [{ name: 'anti-affinity-ldap', enabled: true, vms: ['vm-42', 'vm-43'] }],
        vmGroups: [{ name: 'db', vms: ['vm-50'] }],
      },
    ]);
    expect(inv.hosts).toEqual([
      {
        id: 'host-10',
        name: 'esx-site5-01',
        cluster: 'domain-c7',
        connectionState: 'connected',
        inMaintenance: false,
        cpuCores: 32,
        cpuMhz: 83_200,
        memoryMb: 524_288,
        // datastore-30 is mounted but not accessible.
        datastores: ['datastore-11'],
      },
    ]);
    expect(inv.datastores.map((d) => [d.id, d.vmfsUuid, d.accessible, d.hosts])).toEqual([
      ['datastore-11', 'u-datastore-11', true, ['host-10']],
      ['datastore-30', 'u-datastore-30', false, ['host-10']],
    ]);
    expect(inv.vcenter).toBe('vc-uuid');
  });

  it('finds the ISO datastore by name when the backing does not name it', () => {
    const noDs = vmXml.replace('<datastore type="Datastore">datastore-30</datastore>', '');
    const inv = build(noDs + dsXml('datastore-30', 'ISO-LIB', true) + cfmXml);
    expect(inv.vms[0]?.cdroms[0]?.datastore).toBe('datastore-30');
  });

  it('an unset optional property (no snapshot, no custom values) reads as empty, not as an error', () => {
    const bare =
      '<objects><obj type="VirtualMachine">vm-9</obj><propSet><name>name</name><val xsi:type="xsd:string">t</val></propSet>' +
      '<propSet><name>runtime.powerState</name><val xsi:type="VirtualMachinePowerState">poweredOff</val></propSet>' +
      '<propSet><name>runtime.connectionState</name><val xsi:type="VirtualMachineConnectionState">inaccessible</val></propSet>' +
      '<propSet><name>summary.config.vmPathName</name><val xsi:type="xsd:string">[SAN-02] t/t.vmx</val></propSet></objects>';
    const [vm] = build(bare).vms;
    expect(vm).toMatchObject({
      hasSnapshots: false,
      attributes: {},
      cdroms: [],
      datastores: [],
      host: null,
      vmxPath: '[SAN-02] t/t.vmx',
    });
  });

  it('refuses a power state it does not know instead of guessing', () => {
    const odd = vmXml.replace('>poweredOn</val>', '>hibernating</val>');
    expect(() => build(odd)).toThrow(DecodeError);
  });

  it('refuses a partial inventory: a property vCenter could not read is an error', () => {
    const c = new InventoryCollector();
    const [o] = objects(
      '<objects><obj type="VirtualMachine">vm-7</obj><missingSet><path>name</path><fault><fault xsi:type="NoPermission">' +
        '<privilegeId>System.Read</privilegeId></fault><localizedMessage>Permission to perform this operation was denied.</localizedMessage></fault></missingSet></objects>',
    );
    expect(() => c.add(o as ReturnType<typeof objectContentOf>)).toThrow(/NoPermission/);
  });
});
