/**
 * Copies one attachment object out of object storage, verifying it against its name: Odoo names
 * objects by the SHA-1 of their content, so a SHA-1 that does not match means a corrupt object.
 * Reads go through `resumableRead` (a dropped connection resumes with a ranged read) on top of the
 * provider's retry wrappers. A file is written to `<dest>.part` and renamed only when verified.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, isAppError, toAppError } from '../errors';
import { resumableRead } from '../storage/wrappers/resume';
import type { ObjectHandle } from './resolver';

/** How fetching one object ended. */
export type FetchOutcome =
  | { readonly status: 'ok'; readonly bytes: number }
  | { readonly status: 'missing'; readonly message: string }
  | { readonly status: 'corrupt'; readonly actualSha1: string; readonly bytes: number };

/** A pass-through stream that hashes (SHA-1) and counts what flows through it. */
export function sha1Meter(): Transform & { digest(): string; bytes(): number } {
  const h = createHash('sha1');
  let n = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      n += chunk.length;
      cb(null, chunk);
    },
  });
  let hex: string | undefined;
  return Object.assign(t, { digest: () => (hex ??= h.digest('hex')), bytes: () => n });
}

/** The bucket/container itself is not where the storage looks (another endpoint or region): none of its objects can be read there. */
function storeNotReached(handle: ObjectHandle, err: AppError): AppError {
  return new AppError('NotFound', `${handle.label} cannot be read through storage "${handle.storage}": ${err.message}`, {
    hint: 'Use the storage whose endpoint and region hold that bucket or container; its objects were not looked at.',
    details: { ...err.details, store: handle.label, storage: handle.storage, cliHint: 'Name the storage whose endpoint and region hold that bucket or container (--attachments-storage NAME; --storage NAME for attachments migrate).' },
  });
}

/** Opens an object for reading; `undefined` when it does not exist (its bucket not existing is an error). */
export async function openObject(handle: ObjectHandle, signal?: AbortSignal): Promise<Readable | undefined> {
  try {
    return await resumableRead(handle.provider, handle.key, signal ? { signal } : {});
  } catch (err) {
    if (isAppError(err, 'NotFound')) {
      if (err.details?.code === 'NoSuchBucket') throw storeNotReached(handle, err);
      return undefined;
    }
    throw toAppError(err);
  }
}

/** Downloads the object into `dest` when its content's SHA-1 is `sha1`; never leaves a partial file. */
export async function fetchObjectTo(handle: ObjectHandle, sha1: string, dest: string, signal?: AbortSignal): Promise<FetchOutcome> {
  const input = await openObject(handle, signal);
  if (!input) return { status: 'missing', message: `${handle.label}/${handle.key} does not exist.` };
  await mkdir(dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  const meter = sha1Meter();
  try {
    await pipeline(input, meter, createWriteStream(part, { mode: 0o644 }), ...(signal ? [{ signal }] : []));
  } catch (err) {
    await rm(part, { force: true });
    if (isAppError(err, 'NotFound')) return { status: 'missing', message: `${handle.label}/${handle.key} does not exist.` };
    throw toAppError(err);
  }
  if (meter.digest() !== sha1) {
    await rm(part, { force: true });
    return { status: 'corrupt', actualSha1: meter.digest(), bytes: meter.bytes() };
  }
  await rename(part, dest);
  return { status: 'ok', bytes: meter.bytes() };
}
