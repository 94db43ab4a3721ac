import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildLabModel } from '../lab/model.js';
import { startVcsim } from '../lab/vcsim/index.js';
import { retrieveResultOf, returnMoRef } from '../src/adapters/vsphere/decode.js';
import * as enc from '../src/adapters/vsphere/encode.js';
import { VsphereClient } from '../src/adapters/vsphere/index.js';
import {
  INVENTORY_PARSE,
  InventoryCollector,
  inventorySpecs,
  VIEW_TYPES,
  VM_PATHS,
} from '../src/adapters/vsphere/inventory.js';
import { moRef } from '../src/adapters/vsphere/types.js';

// Inventory benchmark on the large lab (5,000 VMs), all three measured in the same run against
// the same vCenter:
//   (a) floor: the very RetrievePropertiesEx/ContinueRetrievePropertiesEx exchanges of an
//       inventory, sent through the client's own connection pool, bodies read as text and not
//       decoded: transfer plus server time;
//   (b) Bascule's inventory: the same exchanges plus view creation and release, XML parsing,
//       decoding and assembly of the Inventory;
//   (c) one RetrievePropertiesEx per VM with the same pathSet, decoded: the naive pattern.
// (a) and (b) alternate within each iteration so machine noise hits both alike.

export interface InventoryBenchOptions {
  iterations?: number;
  /** Iterations of the slow per-VM measure. */
  perObjectIterations?: number;
  maxObjects?: number;
  /** Override the large lab's VM count (for a quick run). */
  vms?: number;
  log?: (line: string) => void;
}

export interface InventoryBenchResult {
  vms: number;
  floorMs: number;
  inventoryMs: number;
  perObjectMs: number;
  responseMb: number;
  ratioFloor: number;
  speedupPerObject: number;
  rssMb: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function row(cells: string[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(34) : c.padStart(10))).join(' ');
}

export async function benchInventory(options: InventoryBenchOptions = {}): Promise<InventoryBenchResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const iterations = options.iterations ?? 5;
  const perObjectIterations = options.perObjectIterations ?? 2;
  const maxObjects = options.maxObjects ?? 1_000;
  const model = buildLabModel({ size: 'large', ...(options.vms === undefined ? {} : { vms: options.vms }) });
  const dir = await mkdtemp(join(tmpdir(), 'bascule-bench-inventory-'));
  const started = performance.now();
  const vcsim = await startVcsim({ model, dir, timeScale: 0.01, readyTimeoutMs: 300_000 });
  log(
    `large lab up in ${((performance.now() - started) / 1000).toFixed(1)} s: ${model.vms.length} VMs, ${model.hosts.length} hosts`,
  );
  let client: VsphereClient | undefined;
  try {
    client = await VsphereClient.connect({
      url: vcsim.url,
      tls: { caPem: vcsim.caPem },
      userName: 'bascule',
      password: 'lab-password',
      requestTimeoutMs: 600_000,
    });
    const session = client.session;
    const content = session.content;
    const pc = content.propertyCollector;

    // (a) The floor replays the inventory's retrieval on a view of its own.
    const view = await session.invoke(
      enc.createContainerView(content.viewManager, content.rootFolder, VIEW_TYPES, true),
      (res) => returnMoRef(res, 'CreateContainerView'),
    );
    const floorCall = enc.retrievePropertiesEx(pc, inventorySpecs(view, content.customFieldsManager), {
      maxObjects,
    });
    let responseBytes = 0;
    const floorOnce = async (): Promise<number> => {
      const t0 = performance.now();
      let bytes = 0;
      let call = floorCall;
      for (;;) {
        const text = await session.transport.rawPost(call);
        bytes += text.length;
        const token = /<token>([^<]+)<\/token>/.exec(text)?.[1];
        if (token === undefined) break;
        call = enc.continueRetrievePropertiesEx(pc, token);
      }
      responseBytes = bytes;
      return performance.now() - t0;
    };
    const inventoryOnce = async (): Promise<{ ms: number; vms: string[] }> => {
      const t0 = performance.now();
      const inv = await (client as VsphereClient).inventory({ maxObjects });
      return { ms: performance.now() - t0, vms: inv.vms.map((v) => v.id) };
    };

    // Warm-up: JIT, TLS sessions, the simulator's caches.
    await floorOnce();
    const { vms } = await inventoryOnce();
    const floor: number[] = [];
    const full: number[] = [];
    for (let i = 0; i < iterations; i++) {
      floor.push(await floorOnce());
      full.push((await inventoryOnce()).ms);
    }

    // (c) One call per VM, with the same pathSet and the same decoding as the inventory.
    const perObject: number[] = [];
    for (let i = 0; i < perObjectIterations; i++) {
      const t0 = performance.now();
      const collector = new InventoryCollector();
      for (const id of vms) {
        const call = enc.retrievePropertiesEx(pc, [
          {
            propSet: [{ type: 'VirtualMachine', pathSet: VM_PATHS }],
            objectSet: [{ obj: moRef('VirtualMachine', id) }],
          },
        ]);
        const text = await session.invokeText(call);
        for (const o of session.decodeText(call.method, text, retrieveResultOf, INVENTORY_PARSE).objects)
          collector.add(o);
      }
      const seen = collector.build(content.about.instanceUuid, new Date().toISOString()).vms.length;
      if (seen !== vms.length) throw new Error(`per-VM reads returned ${seen} of ${vms.length} VMs`);
      perObject.push(performance.now() - t0);
    }
    await session.invoke(enc.destroyView(view), () => undefined);

    const rssMb = process.resourceUsage().maxRSS / 1024;
    const result: InventoryBenchResult = {
      vms: vms.length,
      floorMs: median(floor),
      inventoryMs: median(full),
      perObjectMs: median(perObject),
      responseMb: responseBytes / 1e6,
      ratioFloor: median(full) / median(floor),
      speedupPerObject: median(perObject) / median(full),
      rssMb,
    };
    const fmt = (xs: number[]) => [median(xs), Math.min(...xs), Math.max(...xs)].map((x) => x.toFixed(0));
    log(row(['measure', 'median ms', 'min ms', 'max ms']));
    log(row([`(a) floor: ${result.responseMb.toFixed(1)} MB, no decode`, ...fmt(floor)]));
    log(row(['(b) Bascule inventory', ...fmt(full)]));
    log(row([`(c) one call per VM (${vms.length} calls)`, ...fmt(perObject)]));
    // (b) cannot beat (a), so (c)/(a) bounds the speedup any client could show against this server.
    log(`speedup bound (c)/(a) against this server: ${(median(perObject) / median(floor)).toFixed(1)}`);
    log(
      `RESULT inventory ratio_floor=${result.ratioFloor.toFixed(2)} speedup_perobject=${result.speedupPerObject.toFixed(1)} ` +
        `vms=${result.vms} rss_mb=${result.rssMb.toFixed(0)}`,
    );
    return result;
  } finally {
    try {
      await client?.close();
    } finally {
      await vcsim.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/** `npm run bench -- inventory [iterations]` */
export async function main(args: string[] = []): Promise<number> {
  const iterations = args[0] === undefined ? undefined : Number(args[0]);
  await benchInventory(
    iterations !== undefined && Number.isInteger(iterations) && iterations > 0 ? { iterations } : {},
  );
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
