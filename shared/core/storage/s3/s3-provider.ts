/**
 * S3-compatible storage over the official SDK (`@aws-sdk/client-s3` for requests,
 * `@aws-sdk/lib-storage` `Upload` for streamed single/multi-part writes).
 *
 * - Listing is ListObjectsV2 with ContinuationToken paging (no 1,000-key ceiling).
 * - Reads are GetObject with `Range: bytes=a-b`; the body is guarded so a dropped connection
 *   surfaces as `Transient` and can be resumed by `resumableRead`.
 * - Writes stream through `Upload`; on failure or cancel every multipart upload it started is
 *   aborted (no invisible parts left to pay for); those a kill left open are `temporaries`.
 *   A part (or a single PUT), whose bytes `Upload` holds in memory, is sent again after a
 *   transient failure (a dropped connection, 503 SlowDown), so one hiccup does not fail the write.
 * - The SDK's own retries are off (`maxAttempts: 1`): other retries are the `withRetry` wrapper's job.
 */
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type BucketLocationConstraint,
  type HeadObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { AppError, cancelledError, throwIfAborted } from '../../errors';
import type { CallOptions, Capabilities, KeyRules, ListOptions, ObjectChecksum, ObjectInfo, ReadOptions, StorageProvider, StorageRoot, WriteOptions } from '../provider';
import type { Logger } from '../../util/logger';
import { assertValidPrefix, assertValidRange, keyProblem } from '../wrappers/keys';
import { retrying } from '../wrappers/retry';
import { guardReadStream } from '../wrappers/streams';
import { normalizePrefix, type S3Config } from './config';
import { classifyS3Error } from './errors';
import { s3Temporaries } from './temporaries';
import { onAbort } from '../../util/abort';

/** Credentials resolved from config + secret store. */
export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Tuning knobs (tests make parts small). */
export interface S3ProviderOptions {
  /** Multipart part size in bytes (minimum 5 MiB; default 16 MiB, grown for huge objects). */
  readonly partSize?: number;
  /** Parts uploaded at once by one write (default 4). */
  readonly queueSize?: number;
  /** Times a part (or a single PUT) is sent again after a transient failure (default 4). */
  readonly partRetries?: number;
  /** First pause before a part is sent again, doubled each time (default 500 ms). */
  readonly partRetryDelayMs?: number;
  /** Socket connect timeout (default 10 s). */
  readonly connectionTimeoutMs?: number;
  /** Idle socket timeout (default 120 s). */
  readonly requestTimeoutMs?: number;
  /** Where listings report objects they leave out (keys the app cannot address). */
  readonly log?: Logger;
}

const MIB = 1024 * 1024;
/**
 * S3 keys are opaque strings: `./name.zip` (odoo_backup_sh with an empty Path) is a literal key,
 * so with the storage at the bucket root it lists, stats and reads as `./name.zip`; and
 * `backups//name.zip` (its Path with a trailing slash) lists, stats and reads as itself.
 */
const KEY_RULES: KeyRules = { leadingDotSegment: true, emptySegments: true };
const MD5_ETAG = /^"?([0-9a-f]{32})"?$/i;

/** `assertValidKey` with S3's rules, and a hint for listed keys that cannot be addressed. */
function checkKey(key: string): void {
  const why = keyProblem(key, KEY_RULES);
  if (why === undefined) return;
  throw new AppError('InvalidInput', `The S3 key ${JSON.stringify(key)} cannot be used: ${why}.`, {
    hint: 'Backup Desk cannot address this object; rename or copy it with your S3 provider\'s console or CLI (e.g. "aws s3 mv").',
  });
}

/** The lower-case hex md5 in a plain (single-part, non-KMS) ETag, else undefined. */
export function md5FromEtag(etag: string | undefined): string | undefined {
  const m = etag === undefined ? null : MD5_ETAG.exec(etag);
  return m?.[1]?.toLowerCase();
}

/** The bucket itself: CreateBucket (with the region as location outside us-east-1), DeleteBucket when empty. */
function bucketRootOf(client: S3Client, bucket: string, region: string, fail: (err: unknown, signal?: AbortSignal) => AppError): StorageRoot {
  const where = region && region !== 'us-east-1' ? { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } } : {};
  return {
    name: bucket,
    async create(opts: CallOptions = {}) {
      try {
        await client.send(new CreateBucketCommand({ Bucket: bucket, ...where }), opts.signal ? { abortSignal: opts.signal } : {});
        return true;
      } catch (err) {
        const name = (err as { name?: string }).name;
        if (name === 'BucketAlreadyOwnedByYou' || name === 'BucketAlreadyExists') return false;
        throw fail(err, opts.signal);
      }
    },
    async remove(opts: CallOptions = {}) {
      try {
        await client.send(new DeleteBucketCommand({ Bucket: bucket }), opts.signal ? { abortSignal: opts.signal } : {});
      } catch (err) {
        if ((err as { name?: string }).name === 'BucketNotEmpty') throw new AppError('Conflict', `Bucket ${bucket} is not empty.`, { hint: 'Remove what is left in it first.' });
        throw fail(err, opts.signal);
      }
    },
  };
}

/** Creates an S3 provider on a fresh SDK client. */
export function createS3Provider(config: S3Config, credentials: S3Credentials, options: S3ProviderOptions = {}): StorageProvider {
  const endpointLabel = config.endpoint !== '' ? config.endpoint : `AWS S3 (${config.region})`;
  const root = normalizePrefix(config.prefix);
  const bucket = config.bucket;
  const client = new S3Client({
    region: config.region,
    ...(config.endpoint !== '' ? { endpoint: config.endpoint } : {}),
    forcePathStyle: config.forcePathStyle,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    // Streamed PutObject with the default checksum mode sends aws-chunked framing that some
    // S3-compatible servers store verbatim (toolchain notes).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    requestHandler: { connectionTimeout: options.connectionTimeoutMs ?? 10_000, requestTimeout: options.requestTimeoutMs ?? 120_000 },
  });
  const fail = (err: unknown, key?: string, signal?: AbortSignal): AppError =>
    classifyS3Error(err, { bucket, endpoint: endpointLabel, ...(key !== undefined ? { key } : {}), ...(signal ? { signal } : {}) });
  const full = (key: string): string => root + key;
  const rel = (fullKey: string): string => fullKey.slice(root.length);

  const capabilities: Capabilities = { write: true, remove: true, rangeReads: true, maxConcurrency: 8, caseInsensitive: false, keyRules: KEY_RULES };

  const checksumOf = (etag: string | undefined, sse: string | undefined): ObjectChecksum | undefined => {
    // SSE-KMS and SSE-C objects have ETags that are not the content's MD5.
    if (sse === 'aws:kms' || sse === 'aws:kms:dsse') return undefined;
    const md5 = md5FromEtag(etag);
    return md5 === undefined ? undefined : { algorithm: 'md5', value: md5 };
  };
  const infoFromHead = (key: string, h: HeadObjectCommandOutput): ObjectInfo => {
    const checksum = h.SSECustomerAlgorithm ? undefined : checksumOf(h.ETag, h.ServerSideEncryption);
    return {
      key,
      size: h.ContentLength ?? 0,
      modified: h.LastModified ?? new Date(0),
      ...(h.ETag !== undefined ? { etag: h.ETag.replace(/"/g, '') } : {}),
      ...(checksum !== undefined ? { checksum } : {}),
    };
  };

  // Set once the bucket answered: a HEAD's 404 (which has no body to say why) is then the object's.
  let bucketSeen = false;
  async function head(key: string, signal?: AbortSignal): Promise<HeadObjectCommandOutput> {
    try {
      const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: full(key) }), signal ? { abortSignal: signal } : {});
      bucketSeen = true;
      return out;
    } catch (err) {
      const e = fail(err, key, signal);
      if (e.kind === 'NotFound' && !bucketSeen) await assertBucket(signal);
      throw e;
    }
  }

  /** Asks the bucket itself (HeadBucket): a missing bucket is `NotFound` as a bucket (NoSuchBucket), not as a missing object. */
  async function assertBucket(signal?: AbortSignal): Promise<void> {
    try {
      await client.send(new HeadBucketCommand({ Bucket: bucket }), signal ? { abortSignal: signal } : {});
      bucketSeen = true;
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) {
        throw fail({ name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } }, undefined, signal);
      }
      // Anything else (a key allowed objects but not the bucket): the object's own answer stands.
    }
  }

  async function* list(prefix: string, opts: ListOptions = {}): AsyncIterable<ObjectInfo> {
    assertValidPrefix(prefix);
    const { signal } = opts;
    let token: string | undefined;
    do {
      throwIfAborted(signal, 'Listing');
      let page;
      try {
        page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: full(prefix),
            ...(token !== undefined ? { ContinuationToken: token } : {}),
            ...(opts.pageSize !== undefined ? { MaxKeys: Math.max(1, Math.min(1000, opts.pageSize)) } : {}),
          }),
          signal ? { abortSignal: signal } : {},
        );
      } catch (err) {
        throw fail(err, undefined, signal);
      }
      for (const o of page.Contents ?? []) {
        // "Folder" placeholder objects (created by consoles) are not objects.
        if (o.Key === undefined || o.Key.endsWith('/') || !o.Key.startsWith(root)) continue;
        const key = rel(o.Key);
        // A key stat/read/remove cannot take (e.g. "a/../x", which neither odoo_backup_sh nor
        // this app writes) is still listed, so that it shows in the catalog instead of
        // vanishing (hiding a backup is worse than showing a stray); reading it is InvalidInput.
        const problem = keyProblem(key, KEY_RULES);
        if (problem !== undefined) {
          options.log?.warn('S3 object listed but its key cannot be addressed', { bucket, key: o.Key, problem });
        }
        yield {
          key,
          size: o.Size ?? 0,
          modified: o.LastModified ?? new Date(0),
          ...(o.ETag !== undefined ? { etag: o.ETag.replace(/"/g, '') } : {}),
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (page.IsTruncated && token === undefined) {
        throw new AppError('Fatal', `The S3 server at ${endpointLabel} said the listing continues but gave no continuation token.`, {
          hint: 'The server does not implement ListObjectsV2 paging correctly.',
        });
      }
    } while (token !== undefined);
  }

  async function stat(key: string, opts: CallOptions = {}): Promise<ObjectInfo> {
    checkKey(key);
    throwIfAborted(opts.signal, 'Reading the object info');
    return infoFromHead(key, await head(key, opts.signal));
  }

  async function read(key: string, opts: ReadOptions = {}): Promise<Readable> {
    checkKey(key);
    assertValidRange(opts.range);
    const { signal, range } = opts;
    throwIfAborted(signal, `Reading "${key}"`);
    if (range?.length === 0) {
      await head(key, signal); // NotFound still applies
      return Readable.from([]);
    }
    const header = range === undefined || (range.offset === 0 && range.length === undefined)
      ? undefined
      : `bytes=${range.offset}-${range.length !== undefined ? range.offset + range.length - 1 : ''}`;
    let out;
    try {
      out = await client.send(
        new GetObjectCommand({ Bucket: bucket, Key: full(key), ...(header !== undefined ? { Range: header } : {}) }),
        signal ? { abortSignal: signal } : {},
      );
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (range !== undefined && (e.name === 'InvalidRange' || e.$metadata?.httpStatusCode === 416)) {
        // Asking from exactly the end is an empty read; past the end is a caller error.
        const size = (await head(key, signal)).ContentLength ?? 0;
        if (range.offset >= size) {
          if (range.offset === size) return Readable.from([]);
          throw new AppError('InvalidInput', `Range starts at ${range.offset}, past the end of "${key}" (${size} bytes).`);
        }
      }
      throw fail(err, key, signal);
    }
    const body = out.Body as Readable | undefined;
    if (body === undefined) return Readable.from([]);
    return guardReadStream(body, {
      ...(signal ? { signal } : {}),
      classify: (e) => fail(e, key, signal),
      ...(out.ContentLength !== undefined ? { expectedBytes: out.ContentLength } : {}),
      what: `Reading "${key}"`,
    });
  }

  async function write(key: string, body: Readable, opts: WriteOptions = {}): Promise<ObjectInfo> {
    checkKey(key);
    const { signal } = opts;
    if (signal?.aborted) {
      body.destroy();
      throw cancelledError(`Writing "${key}"`);
    }
    const partSize = Math.max(5 * MIB, options.partSize ?? 16 * MIB, opts.size !== undefined ? Math.ceil(opts.size / 9_000) : 0);
    // Every request the upload makes goes through this view of the client, so that a cancel
    // or a failed part aborts the in-flight requests, and every multipart upload it creates is
    // known and can be aborted afterwards.
    const stop = new AbortController();
    const inflight = new Set<Promise<unknown>>();
    const created = new Set<string>();
    let firstFailure: unknown;
    const tracked = new Proxy(client, {
      get(target, prop) {
        if (prop !== 'send') return Reflect.get(target, prop, target) as unknown;
        return (command: { constructor: unknown; input?: unknown }, sendOptions?: object) => {
          // Once stopped, nothing new starts (Upload may still be between its abort check and a
          // CreateMultipartUpload, which would otherwise create an upload after our cleanup).
          if (stop.signal.aborted && !(command instanceof AbortMultipartUploadCommand)) {
            return Promise.reject(Object.assign(new Error('The upload was stopped.'), { name: 'AbortError' }));
          }
          const mustFinish = command instanceof CreateMultipartUploadCommand || command instanceof AbortMultipartUploadCommand;
          const sendOnce = (): Promise<{ UploadId?: string }> =>
            (target.send as (c: unknown, o?: object) => Promise<{ UploadId?: string }>)(command, mustFinish ? sendOptions : { ...sendOptions, abortSignal: stop.signal });
          // A part's bytes (or a single PUT's) are in memory: a transient failure sends them again.
          const replayable = command instanceof UploadPartCommand || command instanceof PutObjectCommand;
          const send = replayable ? () => sendAgainOnFailure(sendOnce, (e) => fail(e, key, stop.signal), stop.signal, key) : sendOnce;
          // The one request that makes the object visible: a single PUT, or the multipart completion.
          const commits = command instanceof PutObjectCommand || command instanceof CompleteMultipartUploadCommand;
          const p = commits && opts.beforeCommit ? opts.beforeCommit().then(send) : send();
          inflight.add(p);
          p.then(
            (r) => {
              if (command instanceof CreateMultipartUploadCommand && r.UploadId) created.add(r.UploadId);
            },
            (e) => {
              if (firstFailure === undefined && !stop.signal.aborted) firstFailure = e;
              stopAll();
            },
          ).finally(() => inflight.delete(p));
          return p;
        };
      },
    });
    const upload = new Upload({
      client: tracked,
      params: { Bucket: bucket, Key: full(key), Body: body, ...(opts.contentType ? { ContentType: opts.contentType } : {}) },
      partSize,
      queueSize: options.queueSize ?? 4,
      leavePartsOnError: false,
    });
    function stopAll(): void {
      if (!stop.signal.aborted) stop.abort();
      void upload.abort();
      if (!body.destroyed) body.destroy();
    }
    const stopListening = onAbort(signal, stopAll);
    upload.on('httpUploadProgress', (p) => {
      if (p.loaded !== undefined) opts.onProgress?.(p.loaded);
    });
    try {
      await upload.done();
    } catch (err) {
      if (firstFailure === undefined && !signal?.aborted) firstFailure = err;
      stopAll();
      // Let in-flight requests settle, then abort every multipart upload this write created.
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
      for (const uploadId of created) {
        try {
          await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: full(key), UploadId: uploadId }));
        } catch (abortErr) {
          const name = (abortErr as { name?: string }).name;
          if (name !== 'NoSuchUpload' && (abortErr as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) {
            throw new AppError('Fatal', `Writing "${key}" failed, and its unfinished multipart upload ${uploadId} could not be aborted.`, {
              cause: abortErr,
              hint: `Abort it with your provider's console or a lifecycle rule on bucket "${bucket}", or it keeps costing storage.`,
            });
          }
        }
      }
      if (signal?.aborted) throw cancelledError(`Writing "${key}"`);
      throw fail(firstFailure, key);
    } finally {
      stopListening();
    }
    return infoFromHead(key, await head(key));
  }

  /** `send`, sent again after `Transient` failures (with backoff, honouring Retry-After) until `partRetries` are used up. */
  function sendAgainOnFailure<T>(send: () => Promise<T>, classify: (err: unknown) => AppError, signal: AbortSignal, key: string): Promise<T> {
    const classified = (): Promise<T> => send().catch((err: unknown) => Promise.reject(classify(err)));
    return retrying(`upload of ${key}`, classified, {
      retries: options.partRetries ?? 4,
      baseDelayMs: options.partRetryDelayMs ?? 500,
      signal,
      ...(options.log ? { log: options.log } : {}),
    });
  }

  async function remove(key: string, opts: CallOptions = {}): Promise<void> {
    checkKey(key);
    // DeleteObject succeeds for missing keys; the contract wants NotFound.
    await head(key, opts.signal);
    try {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: full(key) }), opts.signal ? { abortSignal: opts.signal } : {});
    } catch (err) {
      throw fail(err, key, opts.signal);
    }
  }

  return {
    kind: 's3',
    capabilities,
    list,
    stat,
    read,
    write,
    remove,
    temporaries: s3Temporaries({ client, bucket, root, fail }),
    bucketRoot: bucketRootOf(client, bucket, config.region, (err, signal) => fail(err, undefined, signal)),
    async close() {
      client.destroy();
    },
  };
}
