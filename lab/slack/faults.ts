import type { SlackFaultSpec } from './types.js';

// Injected failures: Slack's rate limiting (HTTP 429 with Retry-After, which @slack/web-api obeys)
// and outages (HTTP 500), for the next N calls or for a time window.

interface ActiveFault {
  spec: SlackFaultSpec;
  remaining: number | undefined;
  until: number | undefined;
}

export interface FaultAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export class Faults {
  private active: ActiveFault[] = [];

  add(spec: SlackFaultSpec): void {
    this.active.push({
      spec,
      remaining: spec.calls,
      until: spec.forMs === undefined ? undefined : Date.now() + spec.forMs,
    });
  }

  clear(): void {
    this.active = [];
  }

  /** The fault answering this call, if any; consumes one of its calls. */
  take(method: string, now: number): FaultAnswer | undefined {
    this.active = this.active.filter(
      (f) => (f.remaining === undefined || f.remaining > 0) && (f.until === undefined || f.until > now),
    );
    const f = this.active.find((x) => x.spec.method === undefined || x.spec.method === method);
    if (!f) return undefined;
    if (f.remaining !== undefined) f.remaining--;
    if (f.spec.kind === 'rate-limit') {
      const retryAfter = String(f.spec.retryAfterSec ?? 1);
      return {
        status: 429,
        headers: { 'retry-after': retryAfter },
        body: { ok: false, error: 'ratelimited' },
      };
    }
    return { status: 500, headers: {}, body: { ok: false, error: 'fatal_error' } };
  }
}
