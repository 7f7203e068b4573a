/**
 * Watches the transfer slots of the storages a Desk opens: `Desk.open({ wrapStorage: slots.wrap })`
 * composes every provider with the standard wrappers over a semaphore this helper keeps, so a test
 * can check that every read gave its slot back once a flow has settled.
 */
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { StorageProvider } from '../../shared/core/storage/provider';
import { composeProvider } from '../../shared/core/storage/wrappers/compose';
import { Semaphore } from '../../shared/core/storage/wrappers/concurrency';
import type { Logger } from '../../shared/core/util/logger';

/** The slots of every provider opened, per storage name. */
export interface TransferSlots {
  /** Pass as `DeskOptions.wrapStorage`. */
  readonly wrap: (provider: StorageProvider, ctx: { name: string; log: Logger }) => StorageProvider;
  /** Slots held now on `name` (every provider opened for it), or on every storage. */
  inUse(name?: string): number;
  /** Waits until no slot is held (streams close a tick or two after a flow ends); the count left after `ms`. */
  settled(name?: string, ms?: number): Promise<number>;
}

/** A fresh slot watcher. */
export function transferSlots(): TransferSlots {
  const byName = new Map<string, Semaphore[]>();
  const inUse = (name?: string): number =>
    [...byName.entries()].filter(([n]) => name === undefined || n === name).reduce((sum, [, sems]) => sum + sems.reduce((s, x) => s + x.inUse, 0), 0);
  return {
    wrap(provider, ctx) {
      const slots = new Semaphore(provider.capabilities.maxConcurrency);
      byName.set(ctx.name, [...(byName.get(ctx.name) ?? []), slots]);
      return composeProvider(provider, { log: ctx.log, slots });
    },
    inUse,
    async settled(name, ms = 2000) {
      const until = Date.now() + ms;
      while (inUse(name) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      return inUse(name);
    },
  };
}

/** `data` under a path of the storage `name`'s own, a link below `tmp` (one folder is one storage: the same path twice is refused). */
export async function ownPath(tmp: string, data: string, name: string): Promise<string> {
  const p = join(tmp, `via-${name}`);
  await symlink(data, p);
  return p;
}
