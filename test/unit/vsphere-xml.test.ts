import { describe, expect, it } from 'vitest';
import { parseXml, type XmlElement, XmlParseError } from '../../src/adapters/vsphere/xml.js';

// The SOAP XML reader: namespaces as vCenter and govmomi write them, strictness, and skipping.

function shape(el: XmlElement): unknown {
  return {
    name: el.name,
    ...(el.attrs === null ? {} : { attrs: el.attrs }),
    ...(el.xsiType === null ? {} : { xsiType: el.xsiType }),
    ...(el.text === '' ? {} : { text: el.text }),
    ...(el.children === null ? {} : { children: el.children.map(shape) }),
  };
}

describe('namespaces', () => {
  it('reads xsi:type whatever prefix is bound to the XSI namespace, and keeps a MoRef type apart', () => {
    const doc = parseXml(
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>' +
        '<val xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance" XMLSchema-instance:type="ManagedObjectReference" type="HostSystem">host-1</val>' +
        '<val XMLSchema-instance:type="NotXsiHere">x</val>' +
        '</soapenv:Body></soapenv:Envelope>',
    );
    expect(doc.name).toBe('Envelope');
    const [moref, outOfScope] = doc.children?.[0]?.children ?? [];
    expect(moref?.xsiType).toBe('ManagedObjectReference');
    expect(moref?.attrs).toEqual({
      'xmlns:XMLSchema-instance': 'http://www.w3.org/2001/XMLSchema-instance',
      type: 'HostSystem',
    });
    expect(moref?.text).toBe('host-1');
    // The declaration was on the sibling: here the prefix means nothing.
    expect(outOfScope?.xsiType).toBeNull();
    expect(outOfScope?.attrs).toEqual({ 'XMLSchema-instance:type': 'NotXsiHere' });
  });

  it('resolves a prefix declared after its use in the same tag', () => {
    const el = parseXml('<val p:type="xsd:int" xmlns:p="http://www.w3.org/2001/XMLSchema-instance">4</val>');
    expect(el.xsiType).toBe('xsd:int');
  });

  it('takes xsi: as XSI in fragments cut from an envelope', () => {
    expect(parseXml('<fault xsi:type="InvalidState"></fault>').xsiType).toBe('InvalidState');
  });
});

describe('content', () => {
  it('decodes entities and character references in text and attributes', () => {
    const el = parseXml(
      '<a k="&quot;x&quot; &amp; &#39;y&#39;">R&amp;D &lt;1&gt; &#233;t&#xE9; &#x1F600;</a>',
    );
    expect(el.text).toBe('R&D <1> été 😀');
    expect(el.attrs?.k).toBe(`"x" & 'y'`);
  });

  it('keeps significant spaces in values, drops blank text between elements', () => {
    const el = parseXml('<r>\n  <name>  padded  </name>\n  <empty></empty><self/>\n</r>');
    expect(shape(el)).toEqual({
      name: 'r',
      children: [{ name: 'name', text: '  padded  ' }, { name: 'empty' }, { name: 'self' }],
    });
  });

  it('reads CDATA, skips comments and the declaration', () => {
    const el = parseXml(
      '<?xml version="1.0"?><!-- c --><r><a><![CDATA[<not a tag> & co]]></a><!-- <b/> --></r>',
    );
    expect(el.children?.map((c) => [c.name, c.text])).toEqual([['a', '<not a tag> & co']]);
  });

  it('element names cannot reach Object.prototype', () => {
    const el = parseXml('<r><__proto__><polluted>yes</polluted></__proto__><constructor/></r>');
    expect(el.children?.map((c) => c.name)).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('tells apart many names that share a table slot', () => {
    const names = Array.from({ length: 3000 }, (_, k) => `n${k.toString(36)}x`);
    const el = parseXml(`<r>${names.map((n) => `<${n}>${n}</${n}>`).join('')}</r>`);
    expect(el.children?.map((c) => c.name)).toEqual(names);
    expect(el.children?.every((c) => c.text === c.name)).toBe(true);
  });
});

describe('strictness', () => {
  const bad: Array<[string, string]> = [
    ['<a><b></a></b>', 'mismatched end tag'],
    ['<a><b></b>', 'unclosed element'],
    ['<a>x</a><b/>', 'two document elements'],
    ['<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>', 'DTD'],
    ['<a>&bogus;</a>', 'unknown entity'],
    ['<a k=v></a>', 'unquoted attribute'],
    ['junk<a/>', 'text outside the document element'],
    ['', 'no document element'],
  ];
  for (const [xml, what] of bad) {
    it(`refuses ${what}`, () => {
      expect(() => parseXml(xml)).toThrow(XmlParseError);
    });
  }
});

describe('skipping', () => {
  const devices =
    '<val xsi:type="ArrayOfVirtualDevice">' +
    '<VirtualDevice xsi:type="VirtualIDEController"><key>200</key><device>3000</device></VirtualDevice>' +
    '<VirtualDevice xsi:type="VirtualCdrom"><key>3000</key><backing xsi:type="VirtualCdromIsoBackingInfo"><fileName>[a] b.iso</fileName></backing></VirtualDevice>' +
    '<VirtualDevice xsi:type="VirtualE1000"><key>4000</key><nested><VirtualDevice xsi:type="Odd"><key>1</key></VirtualDevice></nested></VirtualDevice>' +
    '<VirtualDevice xsi:type="VirtualKeyboard"/>' +
    '<VirtualDeviceSummary>kept</VirtualDeviceSummary>' +
    '</val>';
  const skip = { skip: (name: string, t: string | null) => name === 'VirtualDevice' && t !== 'VirtualCdrom' };

  it('steps over skipped elements, nested and self-closing ones included, and keeps the rest intact', () => {
    const full = parseXml(devices);
    const lean = parseXml(devices, skip);
    const kept = full.children?.filter((c) => c.name !== 'VirtualDevice' || c.xsiType === 'VirtualCdrom');
    expect(lean.children?.map(shape)).toEqual(kept?.map(shape));
    expect(lean.children?.map((c) => c.name)).toEqual(['VirtualDevice', 'VirtualDeviceSummary']);
  });

  it('still refuses a broken document inside a skipped element', () => {
    expect(() => parseXml('<val><VirtualDevice xsi:type="X"><a>', skip)).toThrow(XmlParseError);
  });

  it('does not skip at all when the document has comments or CDATA, and still reads it right', () => {
    const tricky = devices.replace('<key>200</key>', '<key><![CDATA[</VirtualDevice>]]></key>');
    const lean = parseXml(tricky, skip);
    expect(lean.children?.length).toBe(parseXml(tricky).children?.length);
  });
});
