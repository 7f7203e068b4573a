/** Preflight: is there room in the Odoo data dir for the filestore of a backup? */
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatBytes } from '../../contract/units';
import { AppError } from '../errors';

/** Free bytes (for an unprivileged user) on the file system holding `path`, or its nearest existing parent. */
export async function freeBytes(path: string): Promise<number | undefined> {
  for (let p = path; ; p = dirname(p)) {
    const s = await statfs(p).catch(() => undefined);
    if (s) return s.bavail * s.bsize;
    if (dirname(p) === p) return undefined;
  }
}

/** Room kept free beyond the filestore itself (file system metadata, Odoo's own writes). */
export const SPACE_MARGIN_BYTES = 64 * 1000 * 1000;

/** Where free space is read from (`freeBytes` by default; tests inject their own figures). */
export type FreeSpaceSource = (path: string) => Promise<number | undefined>;

/**
 * Refuses, with the figures, a filestore of `needed` bytes that the data dir's file system cannot
 * hold (plus a small margin). Unknown free space (an exotic file system) is not a refusal.
 */
export async function checkFilestoreSpace(dataDir: string, needed: number, space: FreeSpaceSource = freeBytes): Promise<void> {
  const free = await space(dataDir);
  if (free === undefined || needed + SPACE_MARGIN_BYTES <= free) return;
  throw new AppError('InvalidInput', `The filestore needs ${formatBytes(needed)}, and ${formatBytes(SPACE_MARGIN_BYTES)} more are kept free for Odoo's own writes, but the disk holding ${dataDir} has only ${formatBytes(free)} free.`, {
    hint: `Free at least ${formatBytes(needed + SPACE_MARGIN_BYTES - free)} there, restore into another data dir, or restore the database only (without the filestore).`,
    details: { neededBytes: needed, freeBytes: free, dataDir },
  });
}
