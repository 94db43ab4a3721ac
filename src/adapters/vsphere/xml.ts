import { VsphereError } from './errors.js';

// The XML layer: escaping for what Bascule writes, and a parser that turns a SOAP response into a
// plain tree.
//
// The tree keeps every value as a string: only the decoders (decode.ts) know which fields the
// vim25 schema types as numbers or booleans, so a VM named "007" or an attribute value "1e3" can
// never turn into a number here.
//
// Why not fast-xml-parser, which was the plan: an inventory of 5,000 VMs is a 34 MB answer
// (config.hardware.device is most of it) and fast-xml-parser 5 reads ~5 MB/s on the target
// machine, several times slower than the simulator takes to produce and send it. SOAP responses
// need a small subset of XML (elements, attributes, text, the five entities and character
// references, CDATA), which this single-pass scanner reads ~10× faster. It is strict where it
// matters: mismatched or unclosed tags, unknown entities and DTDs (no entity expansion attacks)
// are errors.

/**
 * One element. Every node has the same shape (one hidden class in V8), which keeps the hot loops
 * of the decoders monomorphic; children are found by scanning, lists being short.
 */
export class XmlElement {
  /** Text content; for an element with children, only non-blank text is kept. */
  text = '';
  children: XmlElement[] | null = null;

  constructor(
    /** Local name, without namespace prefix. */
    readonly name: string,
    /** Attributes as written (`type` of a MoRef, `xmlns`…), minus xsi:type; null when none. */
    readonly attrs: Record<string, string> | null,
    /** Value of `xsi:type` (whatever the prefix bound to the XSI namespace), as written. */
    readonly xsiType: string | null,
  ) {}
}

export type XmlNode = XmlElement;

// Characters XML 1.0 cannot carry at all, even escaped: a VM name or password holding one must be
// refused, not silently altered.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are the point.
const forbidden = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const special = /[&<>"']/g;
const replacements: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** A value Bascule was asked to send cannot be written in XML at all. */
export class XmlEncodeError extends VsphereError {
  constructor(message: string) {
    super('VSPHERE_INVALID_ARGUMENT', message, {
      method: 'encode',
      hint: 'Remove the control character from the name, path or credential (check sites.yaml and the env variables).',
    });
  }
}
export class XmlParseError extends Error {}

/** Escapes text for an element or a double-quoted attribute. */
export function escapeXml(value: string): string {
  if (forbidden.test(value)) {
    throw new XmlEncodeError('text holds a control character that XML cannot represent');
  }
  return value.replace(special, (c) => replacements[c] ?? c);
}

const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

const namedEntities: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const entityPattern = /&([^;&\s]{1,10});/g;

function decodeEntities(s: string): string {
  if (s.indexOf('&') < 0) return s;
  return s.replace(entityPattern, (_m, name: string) => {
    const named = namedEntities[name];
    if (named !== undefined) return named;
    if (name.charCodeAt(0) === 35 /* # */) {
      const hex = name.charCodeAt(1) === 120 /* x */;
      const code = Number.parseInt(name.slice(hex ? 2 : 1), hex ? 16 : 10);
      if (Number.isInteger(code) && code >= 0 && code <= 0x10ffff) return String.fromCodePoint(code);
    }
    throw new XmlParseError(`unknown entity &${name};`);
  });
}

function isNameEnd(c: number): boolean {
  // space, tab, LF, CR, '>', '/'
  return c === 32 || c === 62 || c === 47 || c === 9 || c === 10 || c === 13;
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return false;
  }
  return true;
}

/**
 * Element names seen before, in a small direct-mapped table keyed by length and end characters:
 * the same few dozen names repeat a million times in an inventory, and finding one here costs a
 * comparison in place instead of a new string and a hash per tag.
 */
class NameTable {
  private readonly qnames: Array<string | undefined> = new Array(1024);
  private readonly locals: Array<string | undefined> = new Array(1024);

  /** Qualified and local name of the tag name at text[start, end). */
  lookup(text: string, start: number, end: number): [string, string] {
    const len = end - start;
    const slot = (len * 31 + text.charCodeAt(start) * 7 + text.charCodeAt(end - 1)) & 1023;
    const known = this.qnames[slot];
    if (known !== undefined && known.length === len && text.startsWith(known, start)) {
      return [known, this.locals[slot] as string];
    }
    const qname = text.slice(start, end);
    const colon = qname.indexOf(':');
    const local = colon < 0 ? qname : qname.slice(colon + 1);
    this.qnames[slot] = qname;
    this.locals[slot] = local;
    return [qname, local];
  }
}

export interface ParseOptions {
  /**
   * Elements the caller will not read, by local name and xsi:type: they are stepped over without
   * building nodes (an inventory keeps the CD-ROMs of `config.hardware.device` and skips the
   * dozen other devices of each VM, most of the bytes of the answer).
   */
  skip?: (name: string, xsiType: string | null) => boolean;
}

function isTagEnd(c: number): boolean {
  return c === 62 || c === 47 || c === 32 || c === 9 || c === 10 || c === 13;
}

/**
 * Index just past the end tag closing an element `qname` whose start tag ends at `from`, counting
 * nested elements of the same name. Raw `<` cannot occur in text or attribute values, so every
 * `<qname`/`</qname` found is markup (documents with CDATA or comments are never skipped).
 */
function skipElement(text: string, qname: string, from: number): number {
  let depth = 1;
  let i = from;
  for (;;) {
    const lt = text.indexOf(qname, i);
    if (lt < 0) throw new XmlParseError(`unclosed <${qname}>`);
    const after = lt + qname.length;
    i = after;
    if (!isTagEnd(text.charCodeAt(after))) continue;
    if (text.charCodeAt(lt - 1) === 60 /* < */) {
      const gt = text.indexOf('>', after);
      if (gt < 0) throw new XmlParseError(`unterminated <${qname}>`);
      if (text.charCodeAt(gt - 1) !== 47 /* self-closing */) depth++;
      i = gt + 1;
    } else if (text.charCodeAt(lt - 1) === 47 && text.charCodeAt(lt - 2) === 60 /* </ */) {
      const gt = text.indexOf('>', after);
      if (gt < 0) throw new XmlParseError(`unterminated </${qname}>`);
      if (--depth === 0) return gt + 1;
      i = gt + 1;
    }
  }
}

/** Whether the text holds `<!` (comment, CDATA, DTD); single-character search, much faster. */
function hasDeclarations(text: string): boolean {
  for (let k = text.indexOf('!'); k >= 0; k = text.indexOf('!', k + 1)) {
    if (text.charCodeAt(k - 1) === 60 /* < */) return true;
  }
  return false;
}

/** Parses a whole document and returns its document element. */
export function parseXml(text: string, options: ParseOptions = {}): XmlElement {
  const n = text.length;
  const skip = options.skip !== undefined && !hasDeclarations(text) ? options.skip : undefined;
  // Open elements and their qualified names (end tags must match them).
  const open: XmlElement[] = [];
  const qnames: string[] = [];
  // Prefixes bound to the XSI namespace, innermost last, with the depth that bound each: real
  // vCenter uses `xsi` on the envelope; govmomi's encoder invents `XMLSchema-instance` and
  // redeclares it on many elements.
  const xsiPrefixes: string[] = [];
  const xsiDepths: number[] = [];
  let root: XmlElement | null = null;
  const names = new NameTable();
  let i = 0;

  while (i < n) {
    const lt = text.indexOf('<', i);
    if (lt < 0) {
      if (!isBlank(text.slice(i))) throw new XmlParseError('text after the document element');
      break;
    }
    const top = open[open.length - 1];
    if (lt > i) {
      if (top !== undefined) top.text += decodeEntities(text.slice(i, lt));
      else if (!isBlank(text.slice(i, lt))) throw new XmlParseError('text outside the document element');
    }
    const c = text.charCodeAt(lt + 1);

    if (c === 47 /* / */) {
      const gt = text.indexOf('>', lt + 2);
      if (gt < 0) throw new XmlParseError('unterminated end tag');
      const expected = qnames.pop();
      const el = open.pop();
      // Compared in place: slicing every end tag's name would double the garbage of a big answer.
      const matches =
        expected !== undefined &&
        text.startsWith(expected, lt + 2) &&
        (gt === lt + 2 + expected.length || isBlank(text.slice(lt + 2 + expected.length, gt)));
      if (el === undefined || !matches) {
        throw new XmlParseError(`</${text.slice(lt + 2, gt).trim()}> closes <${expected ?? ''}>`);
      }
      if (el.children !== null && isBlank(el.text)) el.text = '';
      while (xsiDepths.length > 0 && (xsiDepths[xsiDepths.length - 1] as number) > open.length) {
        xsiDepths.pop();
        xsiPrefixes.pop();
      }
      i = gt + 1;
      continue;
    }
    if (c === 63 /* ? */) {
      const end = text.indexOf('?>', lt + 2);
      if (end < 0) throw new XmlParseError('unterminated processing instruction');
      i = end + 2;
      continue;
    }
    if (c === 33 /* ! */) {
      if (text.startsWith('<!--', lt)) {
        const end = text.indexOf('-->', lt + 4);
        if (end < 0) throw new XmlParseError('unterminated comment');
        i = end + 3;
        continue;
      }
      if (text.startsWith('<![CDATA[', lt) && top !== undefined) {
        const end = text.indexOf(']]>', lt + 9);
        if (end < 0) throw new XmlParseError('unterminated CDATA section');
        top.text += text.slice(lt + 9, end);
        i = end + 3;
        continue;
      }
      throw new XmlParseError('DTDs and declarations are not accepted in a SOAP response');
    }

    // Start tag: name, then attributes.
    let j = lt + 1;
    while (j < n && !isNameEnd(text.charCodeAt(j))) j++;
    if (j === lt + 1) throw new XmlParseError('empty element name');
    const [qname, local] = names.lookup(text, lt + 1, j);
    if (top === undefined && root !== null) throw new XmlParseError('more than one document element');
    let attrs: Record<string, string> | null = null;
    let xsiType: string | null = null;
    // A prefixed `type` whose prefix is declared later in the same tag is resolved after the loop.
    let pendingType: [string, string] | null = null;
    let selfClosing = false;
    for (;;) {
      let ch = text.charCodeAt(j);
      while (ch === 32 || ch === 9 || ch === 10 || ch === 13) ch = text.charCodeAt(++j);
      if (ch === 62 /* > */) {
        j++;
        break;
      }
      if (ch === 47 /* / */ && text.charCodeAt(j + 1) === 62) {
        selfClosing = true;
        j += 2;
        break;
      }
      if (j >= n) throw new XmlParseError(`unterminated <${qname}>`);
      const eq = text.indexOf('=', j);
      if (eq < 0) throw new XmlParseError(`attribute without value in <${qname}>`);
      const attrName = text.slice(j, eq).trim();
      const quote = text.charCodeAt(eq + 1);
      if (quote !== 34 && quote !== 39)
        throw new XmlParseError(`unquoted attribute ${attrName} in <${qname}>`);
      const close = text.indexOf(quote === 34 ? '"' : "'", eq + 2);
      if (close < 0) throw new XmlParseError(`unterminated attribute ${attrName} in <${qname}>`);
      const value = decodeEntities(text.slice(eq + 2, close));
      j = close + 1;
      const colon = attrName.indexOf(':');
      if (colon > 0 && attrName.endsWith(':type') && colon === attrName.length - 5) {
        const prefix = attrName.slice(0, colon);
        // `xsi` is taken as XSI even undeclared: it is the conventional prefix, and fragments
        // cut from an envelope (task info in logs, tests) lose the declaration.
        if (prefix === 'xsi' || xsiPrefixes.includes(prefix)) xsiType = value;
        else pendingType = [prefix, value];
        continue;
      }
      if (value === XSI_NS && attrName.startsWith('xmlns:')) {
        xsiPrefixes.push(attrName.slice(6));
        xsiDepths.push(open.length + 1);
      }
      attrs ??= {};
      attrs[attrName] = value;
    }
    if (pendingType !== null) {
      if (xsiPrefixes.includes(pendingType[0])) xsiType = pendingType[1];
      else {
        attrs ??= {};
        attrs[`${pendingType[0]}:type`] = pendingType[1];
      }
    }
    if (skip !== undefined && top !== undefined && skip(local, xsiType)) {
      i = selfClosing ? j : skipElement(text, qname, j);
      while (xsiDepths.length > 0 && (xsiDepths[xsiDepths.length - 1] as number) > open.length) {
        xsiDepths.pop();
        xsiPrefixes.pop();
      }
      continue;
    }
    const el = new XmlElement(local, attrs, xsiType);
    if (top === undefined) root = el;
    else if (top.children === null) top.children = [el];
    else top.children.push(el);
    if (selfClosing) {
      while (xsiDepths.length > 0 && (xsiDepths[xsiDepths.length - 1] as number) > open.length) {
        xsiDepths.pop();
        xsiPrefixes.pop();
      }
    } else {
      open.push(el);
      qnames.push(qname);
    }
    i = j;
  }
  const unclosed = qnames[qnames.length - 1];
  if (unclosed !== undefined) throw new XmlParseError(`unclosed <${unclosed}>`);
  if (root === null) throw new XmlParseError('no document element');
  return root;
}
