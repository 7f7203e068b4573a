/**
 * A real S3 server on loopback for tests: `s3rver` 3.7 (filesystem store in a temp dir, own process) behind
 * a small HTTP front that
 * - implements what s3rver lacks but our provider relies on: ListMultipartUploads
 *   (`GET /bucket?uploads`, with its `prefix`), ListParts (`GET /bucket/key?uploadId=…`) and
 *   AbortMultipartUpload (`DELETE /bucket/key?uploadId=…`), on
 *   s3rver's own upload folders;
 * - can drop the connection of the next transfer half way (`interruptNext`), like a flaky
 *   network (a read cut after N bytes delivers exactly the object's first N bytes), and answer the next requests with an S3 error (`failNext`, e.g. 503 SlowDown with
 *   Retry-After).
 * - checks AWS Signature V4 (s3rver accepts any signature from a known key id; real S3 answers
 *   SignatureDoesNotMatch / InvalidAccessKeyId / AccessDenied for anonymous requests);
 * - keeps `.`, `..` and empty key segments literal (odoo_backup_sh's `./name.zip` and
 *   `backups//name.zip` keys): s3rver's router and file store would normalize them away, S3 does not.
 * Everything else is forwarded unchanged.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

// s3rver signs ListObjectsV2 continuation tokens with DES, which Node 20's OpenSSL 3 only
// has in its legacy provider: without it every paged listing fails with InternalError. So
// s3rver runs in its own `node --openssl-legacy-provider` process (it exits when our stdin pipe closes).
const S3RVER_MAIN = createRequire(import.meta.url).resolve('s3rver');
// s3rver also lists in file-system walk order, not in S3's UTF-8 binary key order, so with
// small pages it skips keys like "c-x" that sort before "c/…" (a continuation token is "start
// after key"); and its file store maps keys to paths with path.join, which turns the key
// "./x.zip" into "x.zip". The child patches both: listings are sorted (metadata read only for
// the page), and "." / ".." / empty key segments ("a//b"; not a trailing one, which is how
// listing prefixes end) are escaped on disk.
const CHILD_SCRIPT = `
const path = require('path');
const dir = path.dirname(process.env.S3RVER_MAIN);
const S3rver = require(process.env.S3RVER_MAIN);
const Store = require(path.join(dir, 'stores', 'filesystem.js'));
const S3Object = require(path.join(dir, 'models', 'object.js'));
Store.encodeKeyPath = (key) => key.split('/').map((s, i, all) => s === '' && i < all.length - 1 ? '&' : s === '.' ? '&2e' : s === '..' ? '&2e&2e' : s.replace(/^&/, '&26')).join('/');
Store.decodeKeyPath = (p) => p.split('/').map((s) => s === '&' ? '' : s === '&2e' ? '.' : s === '&2e&2e' ? '..' : s.replace(/^&26/, '&')).join('/');
const original = Store.prototype.listObjects;
Store.prototype.listObjects = async function (bucket, options) {
  const getMetadata = this.getMetadata;
  this.getMetadata = async () => ({});
  let all;
  try { all = await original.call(this, bucket, { ...options, startAfter: '', maxKeys: Infinity }); }
  finally { this.getMetadata = getMetadata; }
  const after = Buffer.from(options.startAfter || '');
  const rest = all.objects.map((o) => o.key).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .filter((k) => Buffer.compare(Buffer.from(k), after) > 0);
  const max = options.maxKeys === undefined ? Infinity : options.maxKeys;
  const page = await Promise.all(rest.slice(0, max).map((k) => getMetadata.call(this, bucket, k)
    .then((m) => new S3Object(bucket, k, null, m), (e) => { if (e.code === 'ENOENT') return undefined; throw e; })));
  return { objects: page.filter(Boolean), commonPrefixes: all.commonPrefixes, isTruncated: rest.length > max };
};
const s = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.env.S3RVER_DIR,
  configureBuckets: [{ name: process.env.S3RVER_BUCKET, configs: [] }] });
s.run().then((a) => process.stdout.write(JSON.stringify({ port: a.port }) + '\\n'),
  (e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
process.stdin.on('end', () => s.close().finally(() => process.exit(0)));
process.stdin.resume();
`;

async function startS3rverProcess(directory: string, bucket: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', CHILD_SCRIPT], {
    env: { ...process.env, S3RVER_MAIN, S3RVER_DIR: directory, S3RVER_BUCKET: bucket },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    lines.once('line', (l) => resolve((JSON.parse(l) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`s3rver exited (${code}): ${stderr}`)));
  });
  return { child, port };
}

/** A planted error response. */
export interface PlantedError {
  readonly status: number;
  readonly code: string;
  readonly retryAfterSeconds?: number;
}

/** A running test S3 endpoint. */
export interface S3TestServer {
  /** `http://127.0.0.1:<port>` (use path-style addressing). */
  readonly endpoint: string;
  /** A bucket that exists. */
  readonly bucket: string;
  /** s3rver's fixed credentials. */
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** s3rver's data directory. */
  readonly directory: string;
  /** Drops the client's connection once the next object GETs (read) or PUTs (write) moved `afterBytes` body bytes. */
  interruptNext(direction: 'read' | 'write', afterBytes: number): void;
  /** The next `times` requests (matching `match`, when given) get this error instead of reaching s3rver. */
  failNext(error: PlantedError, times?: number, match?: (method: string, url: string) => boolean): void;
  /** Incomplete multipart uploads in `bucket` (what ListMultipartUploads reports). */
  incompleteUploads(): Promise<Array<{ key: string; uploadId: string }>>;
  /** Test setup shortcut: writes objects straight into s3rver's store (reads and lists still go through S3). */
  seedObjects(objects: ReadonlyArray<{ key: string; data: Buffer }>): Promise<void>;
  /** Requests seen, by method, for assertions. */
  readonly requests: Array<{ method: string; url: string }>;
  /** The `storages:add` arguments of a storage on this server's bucket below `prefix`. */
  storageArgs(name: string, prefix: string): S3StorageArgs;
  stop(): Promise<void>;
}

/** What `storages:add` takes for an S3 storage on the test server. */
export interface S3StorageArgs {
  readonly name: string;
  readonly kind: 's3';
  readonly settings: Record<string, unknown>;
  readonly secrets: Record<string, string>;
}

const xmlEscape = (s: string): string => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

const ACCESS_KEY_ID = 'S3RVER';
const SECRET_ACCESS_KEY = 'S3RVER';
const rfc3986 = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** Verifies an `Authorization: AWS4-HMAC-SHA256 …` header; returns an S3 error code, or undefined when valid. */
export function checkSigV4(method: string, rawUrl: string, headers: http.IncomingHttpHeaders, secretFor: (keyId: string) => string | undefined): string | undefined {
  const auth = headers.authorization;
  if (auth === undefined) return 'AccessDenied';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request,\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$/.exec(auth);
  if (m === null) return 'AuthorizationHeaderMalformed';
  const [, keyId = '', date = '', region = '', signedHeaders = '', signature = ''] = m;
  const secret = secretFor(keyId);
  if (secret === undefined) return 'InvalidAccessKeyId';
  const q = rawUrl.indexOf('?');
  const pathPart = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = q < 0 ? '' : rawUrl.slice(q + 1);
  const canonicalQuery = query
    .split('&')
    .filter((kv) => kv !== '')
    .map((kv) => {
      const eq = kv.indexOf('=');
      const k = decodeURIComponent(eq < 0 ? kv : kv.slice(0, eq));
      const v = eq < 0 ? '' : decodeURIComponent(kv.slice(eq + 1));
      return [rfc3986(k), rfc3986(v)] as const;
    })
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = signedHeaders.split(';');
  const canonicalHeaders = names
    .map((n) => {
      const v = headers[n];
      return `${n}:${(Array.isArray(v) ? v.join(',') : (v ?? '')).trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const payloadHash = String(headers['x-amz-content-sha256'] ?? 'UNSIGNED-PAYLOAD');
  const canonicalRequest = [method, pathPart, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const amzDate = String(headers['x-amz-date'] ?? '');
  const scope = `${date}/${region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), 's3'), 'aws4_request');
  const expected = Buffer.from(hmac(signingKey, stringToSign).toString('hex'));
  return expected.length === signature.length && timingSafeEqual(expected, Buffer.from(signature)) ? undefined : 'SignatureDoesNotMatch';
}

/** Rewrites `/bucket/./x` and `/bucket/a//x` so that s3rver's router keeps dot and empty segments as part of the key. */
function protectDotSegments(rawUrl: string): string {
  const q = rawUrl.indexOf('?');
  const pathPart = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const segs = pathPart.split('/');
  if (!segs.slice(2, -1).some((s) => s === '.' || s === '..' || s === '') && !['.', '..'].includes(segs[segs.length - 1] ?? '')) return rawUrl;
  return `/${segs[1]}/${segs.slice(2).join('%2F')}${q < 0 ? '' : rawUrl.slice(q)}`;
}

/** Starts s3rver + the front on free loopback ports with one bucket. */
export async function startS3Server(bucket = 'test-bucket'): Promise<S3TestServer> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 's3rver-'));
  const { child, port: upstreamPort } = await startS3rverProcess(directory, bucket);
  const uploadsDir = (b: string): string => path.join(directory, b, '._S3rver_uploads');

  const cuts: { read?: number; write?: number } = {};
  const planted: Array<PlantedError & { match?: (method: string, url: string) => boolean }> = [];
  const requests: Array<{ method: string; url: string }> = [];

  const listUploads = async (b: string): Promise<Array<{ key: string; uploadId: string; initiated: Date }>> => {
    const ids = await readdir(uploadsDir(b)).catch(() => [] as string[]);
    const out: Array<{ key: string; uploadId: string; initiated: Date }> = [];
    for (const id of ids) {
      try {
        const keyFile = path.join(uploadsDir(b), id, 'key');
        out.push({ uploadId: id, key: await readFile(keyFile, 'utf8'), initiated: (await stat(keyFile)).mtime });
      } catch {
        // a folder being removed
      }
    }
    return out;
  };
  /** The parts s3rver holds for an upload (files named by part number), as ListParts reports them. */
  const listParts = async (b: string, id: string): Promise<Array<{ n: number; size: number; modified: Date }>> => {
    const names = (await readdir(path.join(uploadsDir(b), id)).catch(() => [] as string[])).filter((n) => /^\d+$/.test(n));
    const parts = await Promise.all(names.map(async (n) => ({ n: Number(n), st: await stat(path.join(uploadsDir(b), id, n)).catch(() => undefined) })));
    return parts.filter((p) => p.st).map((p) => ({ n: p.n, size: p.st!.size, modified: p.st!.mtime })).sort((x, y) => x.n - y.n);
  };

  const sendError = (res: http.ServerResponse, e: PlantedError, resource: string): void => {
    const headers: Record<string, string> = { 'content-type': 'application/xml' };
    if (e.retryAfterSeconds !== undefined) headers['retry-after'] = String(e.retryAfterSeconds);
    res.writeHead(e.status, headers);
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${e.code}</Code><Message>${e.code}</Message><Resource>${xmlEscape(resource)}</Resource><RequestId>test</RequestId></Error>`,
    );
  };

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const segs = url.pathname.split('/').filter((s) => s !== '');
      const b = decodeURIComponent(segs[0] ?? '');
      const isObject = segs.length > 1;
      requests.push({ method: req.method ?? '', url: req.url ?? '' });
      const idx = planted.findIndex((p) => p.match === undefined || p.match(req.method ?? '', req.url ?? ''));
      const plantedError = idx >= 0 ? planted.splice(idx, 1)[0] : undefined;
      if (plantedError !== undefined) {
        req.resume();
        sendError(res, plantedError, url.pathname);
        return;
      }
      const authError = checkSigV4(req.method ?? 'GET', req.url ?? '/', req.headers, (id) => (id === ACCESS_KEY_ID ? SECRET_ACCESS_KEY : undefined));
      if (authError !== undefined) {
        req.resume();
        sendError(res, { status: authError === 'AuthorizationHeaderMalformed' ? 400 : 403, code: authError }, url.pathname);
        return;
      }
      if (req.method === 'GET' && !isObject && url.searchParams.has('uploads')) {
        const uploads = await listUploads(b);
        res.writeHead(200, { 'content-type': 'application/xml' });
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${xmlEscape(b)}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>` +
            uploads
              .filter((u) => u.key.startsWith(url.searchParams.get('prefix') ?? ''))
              .map((u) => `<Upload><Key>${xmlEscape(u.key)}</Key><UploadId>${u.uploadId}</UploadId><Initiated>${u.initiated.toISOString()}</Initiated></Upload>`)
              .join('') +
            `</ListMultipartUploadsResult>`,
        );
        return;
      }
      if (req.method === 'GET' && isObject && url.searchParams.has('uploadId')) {
        const id = url.searchParams.get('uploadId') ?? '';
        if (!(await listUploads(b)).some((u) => u.uploadId === id)) {
          sendError(res, { status: 404, code: 'NoSuchUpload' }, url.pathname);
          return;
        }
        const parts = await listParts(b, id);
        res.writeHead(200, { 'content-type': 'application/xml' });
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?>\n<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${xmlEscape(b)}</Bucket><UploadId>${id}</UploadId><MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated>` +
            parts.map((p) => `<Part><PartNumber>${p.n}</PartNumber><LastModified>${p.modified.toISOString()}</LastModified><ETag>"${'0'.repeat(32)}"</ETag><Size>${p.size}</Size></Part>`).join('') +
            `</ListPartsResult>`,
        );
        return;
      }
      if (req.method === 'DELETE' && isObject && url.searchParams.has('uploadId')) {
        req.resume();
        const id = url.searchParams.get('uploadId') ?? '';
        const known = (await listUploads(b)).some((u) => u.uploadId === id);
        if (!known || !/^[\w-]+$/.test(id)) {
          sendError(res, { status: 404, code: 'NoSuchUpload' }, url.pathname);
          return;
        }
        // A part still being written by s3rver can make one removal fail (ENOTEMPTY): retry.
        for (let attempt = 0; ; attempt++) {
          try {
            await rm(path.join(uploadsDir(b), id), { recursive: true, force: true });
            break;
          } catch (err) {
            if (attempt >= 10) throw err;
            await new Promise((r) => setTimeout(r, 20));
          }
        }
        res.writeHead(204);
        res.end();
        return;
      }
      const readCut = req.method === 'GET' && isObject ? cuts.read : undefined;
      const writeCut = req.method === 'PUT' && isObject ? cuts.write : undefined;
      const up = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: protectDotSegments(req.url ?? '/'), headers: req.headers }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        if (readCut === undefined) {
          upRes.pipe(res);
          return;
        }
        // Once this response is cut, nothing more of it is sent: the client gets exactly the
        // first bytes of the object, as from a connection that dropped, never a gap.
        let cutHere = false;
        upRes.on('data', (chunk: Buffer) => {
          if (cutHere) return;
          if (cuts.read === undefined) {
            res.write(chunk);
            return;
          }
          const room = cuts.read;
          if (chunk.length >= room) {
            delete cuts.read;
            cutHere = true;
            res.write(chunk.subarray(0, room), () => {
              res.socket?.destroy();
              upRes.destroy();
            });
            return;
          }
          cuts.read = room - chunk.length;
          res.write(chunk);
        });
        upRes.on('end', () => {
          if (!cutHere) res.end();
        });
      });
      up.on('error', () => res.socket?.destroy());
      if (writeCut === undefined) {
        req.pipe(up);
        return;
      }
      req.on('data', (chunk: Buffer) => {
        if (cuts.write === undefined) {
          up.write(chunk);
          return;
        }
        const room = cuts.write;
        if (chunk.length >= room) {
          delete cuts.write;
          up.destroy();
          req.socket.destroy();
          return;
        }
        cuts.write = room - chunk.length;
        up.write(chunk);
      });
      req.on('end', () => up.end());
    })().catch(() => res.socket?.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    directory,
    requests,
    interruptNext(direction, afterBytes) {
      cuts[direction] = afterBytes;
    },
    failNext(error, times = 1, match) {
      for (let i = 0; i < times; i++) planted.push(match === undefined ? error : { ...error, match });
    },
    incompleteUploads: () => listUploads(bucket),
    storageArgs: (name, prefix) => ({
      name,
      kind: 's3',
      settings: { endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', bucket, prefix, forcePathStyle: true, accessKeyId: ACCESS_KEY_ID },
      secrets: { secretAccessKey: SECRET_ACCESS_KEY },
    }),
    async seedObjects(objects) {
      const files = objects.map((o) => {
        // Same on-disk key encoding as the patched store in the child.
        const segs = o.key.split('/').map((g, i, all) => (g === '' && i < all.length - 1 ? '&' : g === '.' ? '&2e' : g === '..' ? '&2e&2e' : g.replace(/^&/, '&26')));
        return { file: path.join(directory, bucket, ...segs.slice(0, -1), `${segs[segs.length - 1] ?? ''}._S3rver_object`), data: o.data };
      });
      for (const d of new Set(files.map((f) => path.dirname(f.file)))) await mkdir(d, { recursive: true });
      const queue = [...files];
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          for (let f = queue.shift(); f !== undefined; f = queue.shift()) {
            await writeFile(f.file, f.data);
            // s3rver would compute and store this on first listing otherwise.
            await writeFile(`${f.file}.md5`, createHash('md5').update(f.data).digest('hex'));
          }
        }),
      );
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.stdin?.end();
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** An SDK client of the test server's own, for a test to look at or seed the bucket behind the provider's back. */
export function rawS3Client(server: S3TestServer): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
