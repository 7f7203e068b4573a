/**
 * Going on with a download a killed run left: its `.part` file and, beside it, a small
 * `.part.json` naming the object (key, size, version). A later download of the same, unchanged
 * object appends to the `.part` instead of starting again; anything else starts afresh. The
 * `.part` is never presented as complete: it is renamed only once every check has passed.
 */
import { createReadStream } from 'node:fs';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { ObjectInfo } from '../storage/provider';

/** What the `.part.json` records. */
interface PartMeta {
  readonly key: string;
  readonly size: number;
  readonly etag?: string;
  readonly modified: string;
}

/** The `.part.json` of a `.part`. */
export const partMetaPath = (part: string): string => `${part}.json`;

function metaOf(info: ObjectInfo): PartMeta {
  return { key: info.key, size: info.size, ...(info.etag !== undefined ? { etag: info.etag } : {}), modified: info.modified.toISOString() };
}

/** True when both name the same version of the same object. */
function sameObject(a: PartMeta, b: PartMeta): boolean {
  return a.key === b.key && a.size === b.size && a.etag === b.etag && a.modified === b.modified;
}

/**
 * The bytes already in `part` that a download of `info` can go on from (0: start afresh, and
 * any stale `.part` is removed). Only for a copy as stored (a decrypted one cannot resume
 * mid-stream) and a storage that reads ranges.
 */
export async function resumableBytes(part: string, info: ObjectInfo, canResume: boolean): Promise<number> {
  const saved = await readFile(partMetaPath(part), 'utf8').then((t) => JSON.parse(t) as PartMeta, () => undefined);
  const have = await stat(part).then((s) => s.size, () => 0);
  if (canResume && saved && sameObject(saved, metaOf(info)) && have > 0 && have <= info.size) return have;
  await forgetPart(part);
  return 0;
}

/** Records which object `part` holds the first bytes of, before any is written. */
export async function notePart(part: string, info: ObjectInfo): Promise<void> {
  await writeFile(partMetaPath(part), JSON.stringify(metaOf(info)), { mode: 0o600 });
}

/** Removes a `.part` and its `.part.json`. */
export async function forgetPart(part: string): Promise<void> {
  await rm(part, { force: true });
  await rm(partMetaPath(part), { force: true });
}

/** Feeds the bytes already downloaded to `update` (the checksums cover the whole object). */
export async function replayPart(part: string, bytes: number, update: (chunk: Buffer) => void): Promise<void> {
  for await (const chunk of createReadStream(part, { start: 0, end: bytes - 1, highWaterMark: 1024 * 1024 })) update(chunk as Buffer);
}
