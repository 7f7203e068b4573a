/**
 * Multipart uploads that killed writes left open on S3: invisible to listings but billed for
 * their parts until aborted (or until a bucket lifecycle rule aborts them). An upload's age is
 * that of its newest part, so an upload still sending parts, however long it has been running,
 * always looks young.
 */
import { AbortMultipartUploadCommand, ListMultipartUploadsCommand, ListPartsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AppError } from '../../errors';
import type { CallOptions, StorageTemporaries, TemporaryObject } from '../provider';

/** What the S3 temporaries need of their provider. */
export interface S3TemporariesContext {
  readonly client: S3Client;
  readonly bucket: string;
  /** The storage's key prefix in the bucket (`""` or ending in `/`). */
  readonly root: string;
  readonly fail: (err: unknown, key?: string, signal?: AbortSignal) => AppError;
}

/** Bytes of an upload's parts and when the newest was written. */
async function partsOf(o: S3TemporariesContext, key: string, uploadId: string, signal?: AbortSignal): Promise<{ size: number; newest: number }> {
  let size = 0;
  let newest = 0;
  let marker: string | undefined;
  do {
    const r = await o.client.send(new ListPartsCommand({ Bucket: o.bucket, Key: key, UploadId: uploadId, ...(marker ? { PartNumberMarker: marker } : {}) }), signal ? { abortSignal: signal } : {});
    for (const p of r.Parts ?? []) {
      size += p.Size ?? 0;
      newest = Math.max(newest, p.LastModified?.getTime() ?? 0);
    }
    marker = r.IsTruncated ? r.NextPartNumberMarker : undefined;
  } while (marker);
  return { size, newest };
}

async function* listUploads(o: S3TemporariesContext, signal?: AbortSignal): AsyncIterable<TemporaryObject> {
  let keyMarker: string | undefined;
  let idMarker: string | undefined;
  do {
    const page = await o.client
      .send(new ListMultipartUploadsCommand({ Bucket: o.bucket, Prefix: o.root, ...(keyMarker ? { KeyMarker: keyMarker } : {}), ...(idMarker ? { UploadIdMarker: idMarker } : {}) }), signal ? { abortSignal: signal } : {})
      .catch((err: unknown) => Promise.reject(o.fail(err, undefined, signal)));
    for (const u of page.Uploads ?? []) {
      if (!u.Key?.startsWith(o.root) || !u.UploadId) continue;
      const parts = await partsOf(o, u.Key, u.UploadId, signal).catch((err: unknown) => Promise.reject(o.fail(err, u.Key, signal)));
      const forKey = u.Key.slice(o.root.length);
      const modified = new Date(Math.max(u.Initiated?.getTime() ?? 0, parts.newest));
      yield { id: `${forKey} (multipart upload ${u.UploadId.slice(0, 12)}…)`, forKey, size: parts.size, modified, handle: u.UploadId };
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    idMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
  } while (keyMarker);
}

/** The open multipart uploads below the storage's prefix. */
export function s3Temporaries(o: S3TemporariesContext): StorageTemporaries {
  return {
    list: (options: CallOptions = {}) => listUploads(o, options.signal),
    async remove(temp: TemporaryObject, options: CallOptions = {}): Promise<void> {
      const key = o.root + temp.forKey;
      try {
        await o.client.send(new AbortMultipartUploadCommand({ Bucket: o.bucket, Key: key, UploadId: temp.handle }), options.signal ? { abortSignal: options.signal } : {});
      } catch (err) {
        throw o.fail(err, temp.forKey, options.signal);
      }
    },
  };
}
