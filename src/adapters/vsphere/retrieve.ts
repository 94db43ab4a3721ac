import { type ObjectContent, type RetrieveResult, retrieveResultOf } from './decode.js';
import * as enc from './encode.js';
import { VsphereFaultError } from './errors.js';
import type { VsphereSession } from './session.js';
import type { CallOptions } from './transport.js';
import type { MoRef, PropertyFilterSpec, RetrieveOptions } from './types.js';
import type { ParseOptions, XmlNode } from './xml.js';

// PropertyCollector reads. vCenter may answer a read on an expired session with one
// NotAuthenticated per property in `missingSet` rather than with a fault (the simulator does it
// for global objects); both mean the same thing, so the decoder raises the fault and the session
// logs in again.

function checkedResult(method: string): (res: XmlNode) => RetrieveResult {
  return (res) => {
    const result = retrieveResultOf(res);
    for (const o of result.objects) {
      const expired = o.missing.find((m) => m.fault.faultType === 'NotAuthenticated');
      if (expired) {
        throw new VsphereFaultError(
          method,
          'NotAuthenticated',
          expired.fault.message || 'session not authenticated',
          {
            details: { object: `${o.obj.type}:${o.obj.value}`, path: expired.path },
          },
        );
      }
    }
    return result;
  };
}

export interface PagingOptions extends CallOptions {
  /** Objects per page; vCenter may send fewer. */
  maxObjects?: number;
  /** Parts of the answer the caller will not read (see ParseOptions.skip). */
  parse?: ParseOptions;
}

// The token is the first child of the result (RetrieveResult: token, then objects), so it can be
// read from the head of the text before the page is parsed. The decoded page is checked against
// it, so a peek that misreads can never lose or repeat a page.
const tokenHead = /<returnval>\s*<token>([^<]+)<\/token>/;

function peekToken(text: string): string | null {
  const start = text.indexOf('<returnval>');
  if (start < 0) return null;
  return tokenHead.exec(text.slice(start, start + 2_048))?.[1] ?? null;
}

interface Fetch {
  call: enc.MethodCall;
  generation: number;
  text: Promise<string>;
}

/**
 * RetrievePropertiesEx then ContinueRetrievePropertiesEx while a token comes back, one page at a
 * time so the caller can decode and drop each page. Pipelined: as soon as a page's text arrives,
 * the next page is asked for, so vCenter builds page n+1 while this process parses page n.
 * Leaving the loop early cancels the rest.
 */
export async function* retrievePages(
  session: VsphereSession,
  specSet: readonly PropertyFilterSpec[],
  options: PagingOptions = {},
): AsyncGenerator<ObjectContent[], void, undefined> {
  const pc = session.content.propertyCollector;
  const send = (call: enc.MethodCall): Fetch => {
    const text = session.invokeText(call, options);
    // Awaited below or in `finally`; this only keeps an early failure from being reported as
    // unhandled while the current page is still being decoded.
    text.catch(() => undefined);
    return { call, generation: session.generation, text };
  };
  const retrieveOptions: RetrieveOptions =
    options.maxObjects === undefined ? {} : { maxObjects: options.maxObjects };
  let next: Fetch | null = send(enc.retrievePropertiesEx(pc, specSet, retrieveOptions));
  try {
    while (next !== null) {
      const current: Fetch = next;
      let text = await current.text;
      next = null;
      const peeked = peekToken(text);
      if (peeked !== null) next = send(enc.continueRetrievePropertiesEx(pc, peeked));
      let page: RetrieveResult;
      try {
        page = session.decodeText(
          current.call.method,
          text,
          checkedResult(current.call.method),
          options.parse,
        );
      } catch (err) {
        // An expired session reported inside the result: log in again and ask once more.
        if (!(err instanceof VsphereFaultError && err.faultType === 'NotAuthenticated')) throw err;
        await session.relogin(current.generation, options);
        text = await session.invokeText(current.call, options);
        page = session.decodeText(
          current.call.method,
          text,
          checkedResult(current.call.method),
          options.parse,
        );
      }
      if (page.token !== peeked) {
        // The peek missed (or misread) the token: drop the prefetch, follow the decoded token.
        if (next !== null) await settle(session, pc, next, options);
        next = page.token === null ? null : send(enc.continueRetrievePropertiesEx(pc, page.token));
      }
      // Whenever a token came back, `next` is asking for it, so `finally` can release it.
      yield page.objects;
    }
  } finally {
    // Left early (consumer break or error): release what the server still holds for us.
    if (next !== null) await settle(session, pc, next, options);
  }
}

/** Waits for a prefetched page nobody will read, then cancels the rest of the retrieval. */
async function settle(session: VsphereSession, pc: MoRef, fetch: Fetch, options: CallOptions): Promise<void> {
  let text: string;
  try {
    text = await fetch.text;
  } catch (err) {
    session.logger?.warn({ err }, 'a prefetched page failed after the retrieval was abandoned');
    return;
  }
  const token = peekToken(text);
  if (token !== null) await cancel(session, pc, token, options);
}

async function cancel(
  session: VsphereSession,
  pc: MoRef,
  token: string,
  options: CallOptions,
): Promise<void> {
  try {
    await session.invoke(enc.cancelRetrievePropertiesEx(pc, token), () => undefined, options);
  } catch (err) {
    // Frees the server-side result set; failing to is worth a log line, not a second error
    // hiding the first one.
    session.logger?.warn({ err }, 'CancelRetrievePropertiesEx failed');
  }
}

/** All objects of a retrieval, pages concatenated. */
export async function retrieveAll(
  session: VsphereSession,
  specSet: readonly PropertyFilterSpec[],
  options: PagingOptions = {},
): Promise<ObjectContent[]> {
  const out: ObjectContent[] = [];
  for await (const page of retrievePages(session, specSet, options)) out.push(...page);
  return out;
}

/** Properties of one object, or null when it does not exist (any more). */
export async function readObject(
  session: VsphereSession,
  obj: MoRef,
  paths: readonly string[],
  options: CallOptions = {},
): Promise<Map<string, XmlNode> | null> {
  const spec: PropertyFilterSpec = { propSet: [{ type: obj.type, pathSet: paths }], objectSet: [{ obj }] };
  try {
    const objects = await retrieveAll(session, [spec], options);
    const found = objects.find((o) => o.obj.value === obj.value);
    if (found === undefined) return null;
    const failed = found.missing[0];
    if (failed) {
      throw new VsphereFaultError('RetrievePropertiesEx', failed.fault.faultType, failed.fault.message, {
        details: { object: `${obj.type}:${obj.value}`, path: failed.path, ...failed.fault.details },
      });
    }
    return found.props;
  } catch (err) {
    if (err instanceof VsphereFaultError && err.faultType === 'ManagedObjectNotFound') return null;
    throw err;
  }
}

/** Same properties of several objects of one type, in one call. */
export async function readObjects(
  session: VsphereSession,
  objs: readonly MoRef[],
  paths: readonly string[],
  options: CallOptions = {},
): Promise<ObjectContent[]> {
  const type = objs[0]?.type;
  if (type === undefined) return [];
  const spec: PropertyFilterSpec = {
    propSet: [{ type, pathSet: paths }],
    objectSet: objs.map((obj) => ({ obj })),
  };
  return retrieveAll(session, [spec], options);
}
