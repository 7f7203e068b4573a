/**
 * Locks in the home folder, so the app and a daemon (or two of either) never run the same job
 * at once. A lock is a file created exclusively, holding the owner's pid and host; a lock whose
 * process is gone (killed, crashed) is stale and taken over.
 */
import { hostname } from 'node:os';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

const THIS_HOST = hostname();

/** Who holds a lock. */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
  readonly purpose: string;
}

/** A held lock; `release` removes it (once). */
export interface HeldLock {
  readonly path: string;
  release(): Promise<void>;
}

/** True while the process `owner` names may still be running (another host: assumed yes). */
function ownerAlive(owner: LockOwner): boolean {
  if (owner.host !== THIS_HOST) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    const o = JSON.parse(await readFile(path, 'utf8')) as LockOwner;
    return typeof o.pid === 'number' ? o : undefined;
  } catch {
    return undefined;
  }
}

async function youngerThan(path: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs < ms;
  } catch {
    return false;
  }
}

/** Locks kept in one folder (`<home>/locks`). */
export class HomeLocks {
  constructor(readonly dir: string) {}

  /** The locks of a home folder. */
  static forHome(home: string): HomeLocks {
    return new HomeLocks(join(home, 'locks'));
  }

  private pathOf(name: string): string {
    return join(this.dir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.lock`);
  }

  /** Takes the lock `name`, or returns undefined when a live process holds it. */
  async tryAcquire(name: string, purpose: string): Promise<HeldLock | undefined> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const path = this.pathOf(name);
    for (let attempt = 0; attempt < 3; attempt++) {
      const owner: LockOwner = { pid: process.pid, host: THIS_HOST, since: new Date().toISOString(), purpose };
      try {
        const fh = await open(path, 'wx', 0o600);
        await fh.writeFile(JSON.stringify(owner));
        await fh.close();
        let released = false;
        return { path, release: async () => void (released || ((released = true), await rm(path, { force: true }))) };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const current = await readOwner(path);
      if (current && ownerAlive(current)) return undefined;
      // Unreadable: maybe being written this instant by its new owner; give it a few seconds.
      if (!current && (await youngerThan(path, 5_000))) return undefined;
      // Stale: move it aside, then try again to create ours.
      const aside = `${path}.stale-${randomUUID()}`;
      if (await rename(path, aside).then(() => true, () => false)) await rm(aside, { force: true });
    }
    return undefined;
  }

  /** Who holds the lock `name` (a live owner only). */
  async holder(name: string): Promise<LockOwner | undefined> {
    const o = await readOwner(this.pathOf(name));
    return o && ownerAlive(o) ? o : undefined;
  }
}
