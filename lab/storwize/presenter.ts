import { VcsimControlClient } from '../vcsim/control-client.js';
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
  private readonly vcsim: VcsimControlClient | null;

  constructor(vcsim: { controlUrl: string; caPem: string } | undefined) {
    this.vcsim = vcsim ? new VcsimControlClient(vcsim.controlUrl, vcsim.caPem, { timeoutMs: 10_000 }) : null;
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
    await this.vcsim?.close();
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
    await this.vcsim?.post(`/storage/${call.action}`, { datastore: call.datastore, site: call.site });
    this.log.push(call);
  }
}
