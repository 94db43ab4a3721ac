import { Agent, request } from 'undici';
import { SimCliError } from './messages.js';

// Tells vcsim which site's hosts can write a datastore's LUN (CONTRACT: /lab/storage/present and
// /lab/storage/unpresent). A change of direction is all-or-nothing: if vcsim refuses one call,
// the calls already made are undone and the CLI command fails, so the product sees the failure.

export interface Presentation {
  action: 'present' | 'unpresent';
  datastore: string;
  site: string;
}

export class Presenter {
  readonly log: Presentation[] = [];
  private readonly agent: Agent | null;
  private readonly controlUrl: string | null;

  constructor(vcsim: { controlUrl: string; caPem: string } | undefined) {
    this.controlUrl = vcsim ? vcsim.controlUrl.replace(/\/+$/, '') : null;
    this.agent = vcsim
      ? new Agent({ connect: { ca: vcsim.caPem }, headersTimeout: 10_000, bodyTimeout: 10_000 })
      : null;
  }

  async apply(calls: readonly Presentation[]): Promise<void> {
    const done: Presentation[] = [];
    for (const call of calls) {
      try {
        await this.send(call);
        done.push(call);
      } catch (err) {
        const undo = await this.undo(done);
        const why = err instanceof Error ? err.message : String(err);
        throw new SimCliError(
          'CMMVC9999E',
          `${call.action} ${call.datastore} on ${call.site}: ${why}${undo}`,
        );
      }
    }
  }

  async close(): Promise<void> {
    await this.agent?.close();
  }

  private async undo(done: Presentation[]): Promise<string> {
    const failures: string[] = [];
    for (const call of [...done].reverse()) {
      const inverse: Presentation = { ...call, action: call.action === 'present' ? 'unpresent' : 'present' };
      try {
        await this.send(inverse);
      } catch (err) {
        failures.push(`${inverse.action} ${inverse.datastore} on ${inverse.site}: ${String(err)}`);
      }
    }
    return failures.length ? ` (undo also failed: ${failures.join('; ')})` : '';
  }

  private async send(call: Presentation): Promise<void> {
    if (this.agent && this.controlUrl) {
      const res = await request(`${this.controlUrl}/storage/${call.action}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ datastore: call.datastore, site: call.site }),
        dispatcher: this.agent,
      });
      const text = await res.body.text();
      if (res.statusCode < 200 || res.statusCode >= 300)
        throw new Error(`vcsim answered ${res.statusCode}: ${text.trim()}`);
    }
    this.log.push(call);
  }
}
