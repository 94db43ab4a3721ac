import { pathToFileURL } from 'node:url';
import { buildLabModel, type LabModel } from '../lab/model.js';
import { retrieveResultOf, returnMoRef } from '../src/adapters/vsphere/decode.js';
import * as enc from '../src/adapters/vsphere/encode.js';
import {
  deviceSpecs,
  INVENTORY_PARSE,
  InventoryCollector,
  inventorySpecs,
  VIEW_TYPES,
  VM_DEVICE_PATHS,
  VM_PATHS,
  vmsNeedingDevices,
} from '../src/adapters/vsphere/inventory.js';
import { moRef } from '../src/adapters/vsphere/types.js';
import { withVcenter } from './support/large-vcenter.js';
import { median, row, spread } from './support/stats.js';

// Inventory benchmark on the large lab (5,000 VMs), all three measured in the same run against
// the same vCenter:
//   (a) floor: the very RetrievePropertiesEx/ContinueRetrievePropertiesEx exchanges of an
//       inventory, sent through the client's own connection pool, bodies read as text and not
//       decoded: transfer plus server time;
//   (b) Bascule's inventory: the same exchanges plus view creation and release, XML parsing,
//       decoding and assembly of the Inventory;
//   (c) one RetrievePropertiesEx per VM with the same pathSet, decoded: the naive pattern.
// (a) and (b) alternate within each iteration so machine noise hits both alike.
// The inventory reads in two passes (all but the devices; then the devices of the VMs on more than
// one datastore): (a) replays both passes' exchanges, (c) makes the same two reads per object.
// The large lab puts every VM on one datastore with no ISO, which would leave pass 2 empty; a real
// estate has some VMs with disks on two datastores and some ISOs mounted from a library, so the
// bench gives 1 VM in 20 a second datastore and 1 in 50 an ISO from the site's ISO library.

/** Spreads some VMs over a second datastore and mounts some ISOs, as a real estate has. */
export function withSpreadVms(model: LabModel, everyDisk = 20, everyIso = 50): LabModel {
  const siteOf = new Map(model.hosts.map((h) => [h.name, h.site]));
  const vms = model.vms.map((vm, i) => {
    const site = siteOf.get(vm.host);
    const local = model.datastores.filter(
      (d) =>
        d.site === site && d.method !== 'none' && d.mountedOn.length === 1 && !vm.datastores.includes(d.name),
    );
    const iso = model.datastores.find((d) => d.site === site && d.name.startsWith('ISO-LIB-'));
    const second = local[i % Math.max(1, local.length)];
    return {
      ...vm,
      ...(i % everyDisk === 0 && second ? { datastores: [...vm.datastores, second.name] } : {}),
      ...(i % everyIso === 0 && iso ? { iso: `[${iso.name}] images/debian-12.iso` } : {}),
    };
  });
  return { ...model, vms };
}

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

export async function benchInventory(options: InventoryBenchOptions = {}): Promise<InventoryBenchResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const iterations = options.iterations ?? 5;
  const perObjectIterations = options.perObjectIterations ?? 2;
  const maxObjects = options.maxObjects ?? 1_000;
  const model = withSpreadVms(
    buildLabModel({ size: 'large', ...(options.vms === undefined ? {} : { vms: options.vms }) }),
  );
  return withVcenter(model, 'inventory', log, async (client) => {
    const session = client.session;
    const content = session.content;
    const pc = content.propertyCollector;

    // (a) The floor replays the inventory's retrieval on a view of its own.
    const view = await session.invoke(
      enc.createContainerView(content.viewManager, content.rootFolder, VIEW_TYPES, true),
      (res) => returnMoRef(res, 'CreateContainerView'),
    );
    const pass1 = enc.retrievePropertiesEx(pc, inventorySpecs(view, content.customFieldsManager), {
      maxObjects,
    });
    let responseBytes = 0;
    const replay = async (first: enc.MethodCall): Promise<number> => {
      let bytes = 0;
      let call = first;
      for (;;) {
        const text = await session.transport.rawPost(call);
        bytes += text.length;
        const token = /<token>([^<]+)<\/token>/.exec(text)?.[1];
        if (token === undefined) return bytes;
        call = enc.continueRetrievePropertiesEx(pc, token);
      }
    };
    let pass2: enc.MethodCall | null = null;
    const floorOnce = async (): Promise<number> => {
      const t0 = performance.now();
      let bytes = await replay(pass1);
      if (pass2 !== null) bytes += await replay(pass2);
      responseBytes = bytes;
      return performance.now() - t0;
    };
    const inventoryOnce = async () => {
      const t0 = performance.now();
      const inv = await client.inventory({ maxObjects });
      return { ms: performance.now() - t0, inv };
    };

    // Warm-up: JIT, TLS sessions, the simulator's caches; the first inventory names pass 2's VMs.
    const { inv: first } = await inventoryOnce();
    const vms = first.vms.map((v) => v.id);
    const twoPass = vmsNeedingDevices(first.vms);
    const isoVms = first.vms.filter((v) => v.cdroms.some((c) => c.datastore !== null)).length;
    const pass2Specs = deviceSpecs(twoPass);
    if (pass2Specs.length > 0) pass2 = enc.retrievePropertiesEx(pc, pass2Specs, { maxObjects });
    await floorOnce();
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
      const readOne = async (id: string, paths: readonly string[]) => {
        const call = enc.retrievePropertiesEx(pc, [
          {
            propSet: [{ type: 'VirtualMachine', pathSet: paths }],
            objectSet: [{ obj: moRef('VirtualMachine', id) }],
          },
        ]);
        const text = await session.invokeText(call);
        return session.decodeText(call.method, text, retrieveResultOf, INVENTORY_PARSE).objects;
      };
      for (const id of vms) for (const o of await readOne(id, VM_PATHS)) collector.add(o);
      for (const id of twoPass) for (const o of await readOne(id, VM_DEVICE_PATHS)) collector.addDevices(o);
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
    const fmt = (xs: number[]) => spread(xs, 0);
    log(
      `${vms.length} VMs, ${twoPass.length} on more than one datastore (pass 2), ${isoVms} with an ISO elsewhere`,
    );
    log(row(['measure', 'median ms', 'min ms', 'max ms'], 34));
    log(row([`(a) floor: ${result.responseMb.toFixed(1)} MB, no decode`, ...fmt(floor)], 34));
    log(row(['(b) Bascule inventory', ...fmt(full)], 34));
    log(row([`(c) per VM (${vms.length + twoPass.length} calls)`, ...fmt(perObject)], 34));
    // (b) cannot beat (a), so (c)/(a) bounds the speedup any client could show against this server.
    log(`speedup bound (c)/(a) against this server: ${(median(perObject) / median(floor)).toFixed(1)}`);
    log(
      `RESULT inventory ratio_floor=${result.ratioFloor.toFixed(2)} speedup_perobject=${result.speedupPerObject.toFixed(1)} ` +
        `vms=${result.vms} rss_mb=${result.rssMb.toFixed(0)}`,
    );
    return result;
  });
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
