import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { MaintenanceError } from '../../domain/maintenance/errors.js';
import type { MaintenanceWindow } from '../../domain/maintenance/types.js';
import { KEY_PREFIX } from '../redis.js';
import { maintenanceKeys } from './keys.js';

// Windows as JSON under one key each, indexed by start time. Every write is an optimistic
// transaction on the revision key: the caller's check (overlap, state) runs on the windows read
// inside WATCH, so two operators scheduling the same night cannot both succeed.

const MAX_ATTEMPTS = 10;

export function newWindowId(): string {
  return `mw-${randomBytes(3).toString('hex')}`;
}

export class MaintenanceStore {
  readonly keys: ReturnType<typeof maintenanceKeys>;

  constructor(
    readonly redis: Redis,
    readonly prefix = KEY_PREFIX,
  ) {
    this.keys = maintenanceKeys(prefix);
  }

  async get(id: string): Promise<MaintenanceWindow | null> {
    const json = await this.redis.get(this.keys.window(id));
    return json === null ? null : (JSON.parse(json) as MaintenanceWindow);
  }

  async require(id: string): Promise<MaintenanceWindow> {
    const w = await this.get(id);
    if (!w) {
      throw new MaintenanceError(
        'MAINT_NOT_FOUND',
        `no maintenance window ${id}`,
        'Check the ID with `maintenance list --all`.',
        { id },
      );
    }
    return w;
  }

  async list(): Promise<MaintenanceWindow[]> {
    const ids = await this.redis.zrange(this.keys.index, 0, -1);
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map((id) => this.keys.window(id)));
    return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as MaintenanceWindow);
  }

  /**
   * Reads every window, lets `change` decide (it may throw to refuse) and writes what it returns,
   * atomically with respect to other writers. Returns the written window.
   */
  async transact(
    change: (all: MaintenanceWindow[]) => MaintenanceWindow | Promise<MaintenanceWindow>,
  ): Promise<MaintenanceWindow> {
    const conn = this.redis.duplicate();
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        await conn.watch(this.keys.revision);
        const ids = await conn.zrange(this.keys.index, 0, -1);
        const values = ids.length === 0 ? [] : await conn.mget(ids.map((id) => this.keys.window(id)));
        const all = values
          .filter((v): v is string => v !== null)
          .map((v) => JSON.parse(v) as MaintenanceWindow);
        let next: MaintenanceWindow;
        try {
          next = await change(all);
        } catch (err) {
          await conn.unwatch();
          throw err;
        }
        const result = await conn
          .multi()
          .set(this.keys.window(next.id), JSON.stringify(next))
          .zadd(this.keys.index, Date.parse(next.startsAt), next.id)
          .incr(this.keys.revision)
          .exec();
        if (result !== null) return next;
      }
    } finally {
      conn.disconnect();
    }
    throw new MaintenanceError(
      'MAINT_CONFLICT',
      'maintenance windows kept changing while this one was being saved',
      'Try again in a moment.',
    );
  }

  /** Plain update of one window's bookkeeping (announcement ts, reminders, run links, state). */
  async update(id: string, patch: (w: MaintenanceWindow) => MaintenanceWindow): Promise<MaintenanceWindow> {
    return this.transact((all) => {
      const w = all.find((x) => x.id === id);
      if (!w) {
        throw new MaintenanceError(
          'MAINT_NOT_FOUND',
          `no maintenance window ${id}`,
          'Check the ID with `maintenance list --all`.',
          {
            id,
          },
        );
      }
      return patch(w);
    });
  }

  /** Every key of this store (tests clean up with it). */
  async deleteAll(): Promise<void> {
    const keys = await this.redis.keys(`${this.prefix}:maint:*`);
    if (keys.length > 0) await this.redis.del(...keys);
  }
}
