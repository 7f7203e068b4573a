/**
 * SFTP storage over `ssh2-sftp-client` (which wraps `ssh2`): the client handles the SSH
 * connection life-cycle; file operations use its SFTP channel directly so that ssh2's SFTP
 * status codes reach our classifier unchanged.
 *
 * - The host key is verified against a pinned SHA256 fingerprint or a known_hosts file; an
 *   unknown host fails with its fingerprint (trust-on-first-use only when configured, and then
 *   saved to known_hosts).
 * - Listing walks folders recursively with bounded concurrency.
 * - Writes go to `.name.part-<random>` and are renamed into place (atomic replace with
 *   posix-rename@openssh.com); the temp file is removed on failure or cancel. Listings hide
 *   such temp files.
 * - A dropped connection is noticed and the next call reconnects.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import SftpClient from 'ssh2-sftp-client';
import type { ConnectConfig, SFTPWrapper, Stats } from 'ssh2';
import { AppError, cancelledError, throwIfAborted } from '../../errors';
import { nullLogger, type Logger } from '../../util/logger';
import { keyTakenError, type CallOptions, type Capabilities, type ListOptions, type ObjectInfo, type ReadOptions, type StorageProvider, type StorageTemporaries, type TemporaryObject, type WriteOptions } from '../provider';
import { assertValidKey, assertValidPrefix, assertValidRange } from '../wrappers/keys';
import { guardReadStream } from '../wrappers/streams';
import type { SftpConfig } from './config';
import { classifySftpError } from './errors';
import { pipelinedReadStream, pipelinedWriteStream, type OnConnectionLost } from './transfer';
import { addKnownHost, checkKnownHosts, knownHostsName, normalizeFingerprint, sha256Fingerprint } from './host-key';

/** Login secrets, resolved from the secret store (never from config). */
export interface SftpAuth {
  readonly password?: string;
  readonly privateKey?: string | Buffer;
  readonly passphrase?: string;
}

/** Tuning and hooks. */
export interface SftpProviderOptions {
  /** Folders read at once while listing (default 4). */
  readonly listConcurrency?: number;
  readonly log?: Logger;
  /** The storage's configured name, for the commands its hints give. */
  readonly storageName?: string;
}

/** An SFTP provider, plus the fingerprint of the host key it verified. */
export interface SftpStorageProvider extends StorageProvider {
  /** `SHA256:…` of the server's host key, once connected. */
  hostKeyFingerprint(): string | undefined;
}

const TEMP_NAME = /^\..+\.part-[0-9a-f]{8}$/;

interface Connection {
  readonly client: SftpClient;
  readonly sftp: SFTPWrapper;
  alive: boolean;
  /** Notified once when the connection dies (transfers in flight fail instead of hanging). */
  readonly lost: Set<(err: Error) => void>;
}

type HostKeyProblem =
  | { kind: 'pin-mismatch'; fingerprint: string; expected: string }
  | { kind: 'changed'; fingerprint: string; file: string }
  | { kind: 'revoked'; fingerprint: string; file: string }
  | { kind: 'unknown'; fingerprint: string; file: string };

const ALGOS_FOR_KEY_TYPE: Record<string, string[]> = {
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/** Reads a key file, expanding `~`. */
export async function readPrivateKeyFile(file: string): Promise<Buffer> {
  const p = file.startsWith('~/') ? path.join(os.homedir(), file.slice(2)) : file;
  try {
    return await readFile(p);
  } catch (err) {
    throw new AppError('InvalidInput', `Cannot read the private key file ${p}: ${(err as Error).message}`, {
      cause: err,
      hint: 'Check the key file path (and that this user may read it).',
    });
  }
}

/** How to read the host key on the server, for the hints. */
const SERVER_KEY = 'ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub';
/** Where the app changes a storage's pinned host key. */
const PIN_IN_APP = 'Storages → Change secret, "Host key"';
/** The command that pins `fingerprint` for the storage `name`. */
const pinCommand = (name: string, fingerprint: string): string => `backup-desk storage set-secret ${name} --host-key-fingerprint ${fingerprint}`;

/** Creates an SFTP provider; it connects on first use. */
export function createSftpProvider(config: SftpConfig, auth: SftpAuth, options: SftpProviderOptions = {}): SftpStorageProvider {
  const log = options.log ?? nullLogger;
  const storageName = options.storageName ?? 'NAME';
  const target = `${config.username}@${knownHostsName(config.host, config.port)}`;
  const root = config.path === '' ? '.' : config.path.length > 1 ? config.path.replace(/\/+$/, '') : config.path;
  const knownHostsFile = config.knownHostsFile ?? path.join(os.homedir(), '.ssh', 'known_hosts');
  const listConcurrency = Math.max(1, options.listConcurrency ?? 4);
  const abs = (key: string): string => path.posix.join(root, key);
  const fail = (err: unknown, p?: string, signal?: AbortSignal): AppError =>
    classifySftpError(err, { target, ...(p !== undefined ? { path: p } : {}), ...(signal ? { signal } : {}) });

  let current: Connection | undefined;
  let connecting: Promise<Connection> | undefined;
  let fingerprint: string | undefined;
  let closed = false;

  const hostKeyError = (p: HostKeyProblem): AppError => {
    switch (p.kind) {
      case 'pin-mismatch':
        return new AppError('AuthFailed', `HOST KEY CHANGED: ${target} presented ${p.fingerprint}, but ${p.expected} is pinned for this storage. Someone may be intercepting the connection.`, {
          hint: `Do not connect until you have checked the key on the server (${SERVER_KEY}). If it really changed, pin the new one (${p.fingerprint}) as the storage's host key (${PIN_IN_APP}).`,
          details: {
            fingerprint: p.fingerprint,
            pinned: p.expected,
            cliHint: `Do not connect until you have checked the key on the server (${SERVER_KEY}). If it really changed, pin the new one: ${pinCommand(storageName, p.fingerprint)}`,
          },
        });
      case 'changed':
        return new AppError('AuthFailed', `HOST KEY CHANGED: the host key of ${target} (${p.fingerprint}) differs from the one in ${p.file}. Someone may be intercepting the connection.`, {
          hint: `Check the key on the server; if it really changed, remove the old entry (ssh-keygen -R '${knownHostsName(config.host, config.port)}' -f ${p.file}) and connect again.`,
          details: { fingerprint: p.fingerprint, knownHostsFile: p.file },
        });
      case 'revoked':
        return new AppError('AuthFailed', `The host key of ${target} (${p.fingerprint}) is marked @revoked in ${p.file}.`, {
          hint: 'Ask the server administrator for the current host key.',
          details: { fingerprint: p.fingerprint, knownHostsFile: p.file },
        });
      case 'unknown':
        return new AppError('AuthFailed', `The host key of ${target} is not known. Its fingerprint is ${p.fingerprint}.`, {
          hint: `Compare it with the server's (${SERVER_KEY}), then pin it as the storage's host key (${PIN_IN_APP}) or add it to ${p.file}.`,
          details: {
            fingerprint: p.fingerprint,
            knownHostsFile: p.file,
            cliHint: `Compare it with the server's (${SERVER_KEY}), then pin it (${pinCommand(storageName, p.fingerprint)}) or add it to ${p.file}.`,
          },
        });
    }
  };

  async function connect(): Promise<Connection> {
    if (closed) throw new AppError('Fatal', `The SFTP storage ${target} was closed.`, { hint: 'Reconnect the storage.' });
    const pinned = config.hostKeyFingerprint !== undefined ? normalizeFingerprint(config.hostKeyFingerprint) : undefined;
    const knownText = pinned === undefined ? await readFile(knownHostsFile, 'utf8').catch(() => '') : '';
    let problem: HostKeyProblem | undefined;
    let toTrust: Buffer | undefined;
    const hostVerifier = (key: Buffer): boolean => {
      const fp = sha256Fingerprint(key);
      fingerprint = fp;
      if (pinned !== undefined) {
        if (fp === pinned) return true;
        problem = { kind: 'pin-mismatch', fingerprint: fp, expected: pinned };
        return false;
      }
      const verdict = checkKnownHosts(knownText, config.host, config.port, key);
      if (verdict.status === 'match') return true;
      if (verdict.status === 'unknown' && config.trustOnFirstUse) {
        toTrust = key;
        return true;
      }
      problem = { kind: verdict.status === 'mismatch' ? 'changed' : verdict.status, fingerprint: fp, file: knownHostsFile };
      return false;
    };
    // Prefer the key types known_hosts has for this host, so the server shows a key we can check.
    const knownTypes = pinned === undefined ? checkKnownTypes(knownText) : [];
    const connectConfig: ConnectConfig = {
      host: config.host,
      port: config.port,
      username: config.username,
      readyTimeout: config.timeoutMs,
      keepaliveInterval: 10_000,
      keepaliveCountMax: 3,
      tryKeyboard: false,
      hostVerifier,
      ...(knownTypes.length > 0 ? { algorithms: { serverHostKey: { prepend: knownTypes.flatMap((t) => ALGOS_FOR_KEY_TYPE[t] ?? [t]) } } } : {}),
      ...(auth.password !== undefined ? { password: auth.password } : {}),
      ...(auth.privateKey !== undefined ? { privateKey: auth.privateKey } : {}),
      ...(auth.passphrase !== undefined ? { passphrase: auth.passphrase } : {}),
    } as ConnectConfig;
    // The library's default event callbacks console.log to stdout, which would corrupt
    // machine-readable CLI output (`list --json`): route them to our logger instead.
    const client = new SftpClient('backup-desk', {
      error: (err: unknown) => log.debug('SFTP connection error event', { target, error: err instanceof Error ? err.message : String(err) }),
      end: () => log.debug('SFTP connection ended', { target }),
      close: () => log.debug('SFTP connection closed', { target }),
    });
    let sftp: SFTPWrapper;
    try {
      sftp = await client.connect(connectConfig);
    } catch (err) {
      await client.end().catch(() => undefined);
      if (problem !== undefined) throw hostKeyError(problem);
      if (/passphrase|encrypted|bad decrypt|cannot parse privatekey/i.test((err as Error).message ?? '')) {
        throw new AppError('AuthFailed', `The private key for ${target} could not be decrypted or parsed.`, {
          cause: err,
          hint: 'Check the key passphrase (or that the key file is an OpenSSH/PEM private key).',
        });
      }
      throw fail(err);
    }
    if (toTrust !== undefined) {
      await addKnownHost(knownHostsFile, config.host, config.port, toTrust);
      log.warn('Trusted a new SFTP host key on first use and saved it to known_hosts', { target, fingerprint, knownHostsFile });
    }
    const conn: Connection = { client, sftp, alive: true, lost: new Set() };
    const dead = (): void => {
      if (!conn.alive) return;
      conn.alive = false;
      const err = Object.assign(new Error(`The SFTP connection to ${target} was lost.`), { code: 'ECONNRESET' });
      for (const l of [...conn.lost]) l(err);
      conn.lost.clear();
    };
    // ssh2's Client is the `client` property of ssh2-sftp-client.
    const raw = (client as unknown as { client: NodeJS.EventEmitter }).client;
    raw.on('close', dead);
    raw.on('end', dead);
    raw.on('error', dead);
    sftp.on('close', dead);
    return conn;
  }

  function checkKnownTypes(text: string): string[] {
    if (text === '') return [];
    // Which key types are recorded for this host; the verdict on a dummy blob lists them.
    const verdict = checkKnownHosts(text, config.host, config.port, Buffer.from([0, 0, 0, 1, 0x3f]));
    return verdict.status === 'unknown' || verdict.status === 'mismatch' ? [...verdict.knownTypes] : [];
  }

  async function conn(signal?: AbortSignal): Promise<Connection> {
    throwIfAborted(signal);
    if (current?.alive) return current;
    if (current !== undefined) {
      const old = current;
      current = undefined;
      void old.client.end().catch(() => undefined);
    }
    if (connecting === undefined) {
      connecting = connect().finally(() => {
        connecting = undefined;
      });
    }
    current = await connecting;
    return current;
  }

  const call = <T>(fn: (cb: (err: Error | null | undefined, v?: T) => void) => void): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      try {
        fn((err, v) => (err ? reject(err) : resolve(v as T)));
      } catch (err) {
        reject(err);
      }
    });
  const statRaw = (c: Connection, p: string): Promise<Stats> => call<Stats>((cb) => c.sftp.stat(p, cb));
  const readdir = (c: Connection, p: string): Promise<Array<{ filename: string; attrs: Stats }>> =>
    call((cb) => c.sftp.readdir(p, cb as never));

  const lostHook =
    (c: Connection): OnConnectionLost =>
    (listener) => {
      if (!c.alive) {
        queueMicrotask(() => listener(Object.assign(new Error(`The SFTP connection to ${target} was lost.`), { code: 'ECONNRESET' })));
        return () => undefined;
      }
      c.lost.add(listener);
      return () => c.lost.delete(listener);
    };

  const infoOf = (key: string, st: Stats): ObjectInfo => ({ key, size: st.size, modified: new Date(st.mtime * 1000) });

  const capabilities: Capabilities = { write: true, remove: true, rangeReads: true, maxConcurrency: 4, caseInsensitive: false };

  /** Every file below `prefix`: the objects, or (`temps`) only the temp files of unfinished writes. */
  async function* walk(prefix: string, signal: AbortSignal | undefined, temps: boolean): AsyncIterable<{ key: string; filename: string; st: Stats }> {
    const slash = prefix.lastIndexOf('/');
    const startRel = slash >= 0 ? prefix.slice(0, slash) : '';
    let queue = [startRel];
    const descend = (rel: string): boolean => `${rel}/`.startsWith(prefix) || prefix.startsWith(`${rel}/`);
    while (queue.length > 0) {
      throwIfAborted(signal, 'Listing');
      const c = await conn(signal);
      const batch = queue.slice(0, listConcurrency);
      queue = queue.slice(listConcurrency);
      const results = await Promise.all(
        batch.map(async (rel) => {
          const dir = rel === '' ? root : abs(rel);
          try {
            return { rel, entries: await readdir(c, dir) };
          } catch (err) {
            const e = fail(err, dir, signal);
            if (e.kind === 'NotFound') return { rel, entries: [] };
            throw e;
          }
        }),
      );
      throwIfAborted(signal, 'Listing');
      for (const { rel, entries } of results) {
        for (const { filename, attrs } of entries) {
          if (filename === '.' || filename === '..') continue;
          const key = rel === '' ? filename : `${rel}/${filename}`;
          let st = attrs;
          if (st.isSymbolicLink()) {
            // Follow links to files; links to folders are not followed (no cycles).
            try {
              st = await statRaw(c, abs(key));
            } catch {
              continue;
            }
            if (st.isDirectory()) continue;
          }
          if (st.isDirectory()) {
            if (descend(key)) queue.push(key);
          } else if (st.isFile() && key.startsWith(prefix) && TEMP_NAME.test(filename) === temps) {
            yield { key, filename, st };
          }
        }
      }
    }
  }

  async function* list(prefix: string, opts: ListOptions = {}): AsyncIterable<ObjectInfo> {
    assertValidPrefix(prefix);
    for await (const f of walk(prefix, opts.signal, false)) yield infoOf(f.key, f.st);
  }

  /** Temp files (`.NAME.part-XXXXXXXX`) that killed writes left: a write removes its own otherwise. */
  const temporaries: StorageTemporaries = {
    async *list(opts: CallOptions = {}): AsyncIterable<TemporaryObject> {
      for await (const f of walk('', opts.signal, true)) {
        const forName = f.filename.slice(1, f.filename.lastIndexOf('.part-'));
        const dir = path.posix.dirname(f.key);
        yield { id: f.key, forKey: dir === '.' ? forName : `${dir}/${forName}`, size: f.st.size, modified: new Date(f.st.mtime * 1000) };
      }
    },
    async remove(temp: TemporaryObject, opts: CallOptions = {}): Promise<void> {
      assertValidKey(temp.id);
      if (!TEMP_NAME.test(path.posix.basename(temp.id))) throw new AppError('InvalidInput', `"${temp.id}" is not a temporary file of this app.`);
      const c = await conn(opts.signal);
      try {
        await call<void>((cb) => c.sftp.unlink(abs(temp.id), cb));
      } catch (err) {
        throw fail(err, temp.id, opts.signal);
      }
    },
  };

  async function statKey(key: string, signal?: AbortSignal): Promise<Stats> {
    const c = await conn(signal);
    let st: Stats;
    try {
      st = await statRaw(c, abs(key));
    } catch (err) {
      throw fail(err, key, signal);
    }
    if (!st.isFile()) throw new AppError('NotFound', `"${key}" on ${target} is a folder, not a file.`, { hint: 'Choose a file.' });
    return st;
  }

  async function stat(key: string, opts: CallOptions = {}): Promise<ObjectInfo> {
    assertValidKey(key);
    return infoOf(key, await statKey(key, opts.signal));
  }

  async function read(key: string, opts: ReadOptions = {}): Promise<Readable> {
    assertValidKey(key);
    assertValidRange(opts.range);
    const { signal, range } = opts;
    const st = await statKey(key, signal);
    const start = range?.offset ?? 0;
    if (start > st.size) throw new AppError('InvalidInput', `Range starts at ${start}, past the end of "${key}" (${st.size} bytes).`);
    const end = range?.length === undefined ? st.size : Math.min(st.size, start + range.length);
    if (end <= start) return Readable.from([]);
    const c = await conn(signal);
    const source = pipelinedReadStream(c.sftp, abs(key), start, end, { onConnectionLost: lostHook(c) });
    return guardReadStream(source, { ...(signal ? { signal } : {}), classify: (e) => fail(e, key, signal), expectedBytes: end - start, what: `Reading "${key}"` });
  }

  async function mkdirs(c: Connection, dir: string): Promise<void> {
    if (dir === '.' || dir === '/' || dir === '') return;
    try {
      const st = await statRaw(c, dir);
      if (st.isDirectory()) return;
      throw new AppError('Conflict', `${dir} on ${target} exists and is not a folder.`, { hint: 'Choose another name.' });
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (fail(err, dir).kind !== 'NotFound') throw fail(err, dir);
    }
    await mkdirs(c, path.posix.dirname(dir));
    try {
      await call<void>((cb) => c.sftp.mkdir(dir, cb));
    } catch (err) {
      // Another write may have created it meanwhile.
      const st = await statRaw(c, dir).catch(() => undefined);
      if (!st?.isDirectory()) throw fail(err, dir);
    }
  }

  async function removeQuietly(p: string): Promise<void> {
    try {
      const c = await conn();
      await call<void>((cb) => c.sftp.unlink(p, cb));
    } catch {
      // best effort: the temp name is hidden from listings either way
    }
  }

  /** Renames over whatever is at `finalPath` (atomic with posix-rename@openssh.com). */
  async function renameReplacing(c: Connection, tmp: string, finalPath: string): Promise<void> {
    try {
      await call<void>((cb) => c.sftp.ext_openssh_rename(tmp, finalPath, cb));
    } catch (err) {
      if (!/not supported|unsupported/i.test((err as Error).message ?? '')) throw err;
      // Servers without posix-rename: replace non-atomically.
      await call<void>((cb) => c.sftp.unlink(finalPath, cb)).catch(() => undefined);
      await call<void>((cb) => c.sftp.rename(tmp, finalPath, cb));
    }
  }

  /** SFTP's own rename, which fails when the target exists (OpenSSH links, then unlinks: atomic); `Conflict` then. */
  async function renameIfAbsent(c: Connection, tmp: string, finalPath: string, key: string): Promise<void> {
    try {
      await call<void>((cb) => c.sftp.rename(tmp, finalPath, cb));
    } catch (err) {
      const exists = await call<unknown>((cb) => c.sftp.lstat(finalPath, cb)).then(() => true, () => false);
      if (exists) throw keyTakenError(key);
      throw err;
    }
  }

  async function write(key: string, body: Readable, opts: WriteOptions = {}): Promise<ObjectInfo> {
    assertValidKey(key);
    const { signal } = opts;
    if (signal?.aborted) {
      body.destroy();
      throw cancelledError(`Writing "${key}"`);
    }
    const finalPath = abs(key);
    const dir = path.posix.dirname(finalPath);
    const tmp = path.posix.join(dir, `.${path.posix.basename(finalPath)}.part-${randomBytes(4).toString('hex')}`);
    let c: Connection;
    try {
      c = await conn(signal);
      await mkdirs(c, dir);
    } catch (err) {
      body.destroy();
      throw fail(err, key, signal);
    }
    let sent = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        sent += chunk.length;
        opts.onProgress?.(sent);
        done(null, chunk);
      },
    });
    const ws = pipelinedWriteStream(c.sftp, tmp, { mode: 0o644, onConnectionLost: lostHook(c) });
    try {
      // `finish` of the pipelined stream means every byte was acknowledged and the file closed.
      await pipeline(body, counter, ws, ...(signal ? [{ signal }] : []));
      throwIfAborted(signal, `Writing "${key}"`);
      await opts.beforeCommit?.();
      if (opts.ifAbsent) await renameIfAbsent(c, tmp, finalPath, key);
      else await renameReplacing(c, tmp, finalPath);
    } catch (err) {
      ws.destroy();
      await removeQuietly(tmp);
      if (signal?.aborted) throw cancelledError(`Writing "${key}"`);
      throw fail(err, key);
    }
    return infoOf(key, await statKey(key));
  }

  async function remove(key: string, opts: CallOptions = {}): Promise<void> {
    assertValidKey(key);
    const c = await conn(opts.signal);
    await statKey(key, opts.signal);
    try {
      await call<void>((cb) => c.sftp.unlink(abs(key), cb));
    } catch (err) {
      throw fail(err, key, opts.signal);
    }
    // Prune folders the deletion left empty (rmdir refuses non-empty ones), up to the root.
    for (let d = path.posix.dirname(key); d !== '.' && d !== ''; d = path.posix.dirname(d)) {
      try {
        await call<void>((cb) => c.sftp.rmdir(abs(d), cb));
      } catch {
        break;
      }
    }
  }

  return {
    kind: 'sftp',
    capabilities,
    list,
    stat,
    read,
    write,
    remove,
    temporaries,
    hostKeyFingerprint: () => fingerprint,
    async close() {
      closed = true;
      const c = current;
      current = undefined;
      if (c !== undefined) await c.client.end().catch(() => undefined);
    },
  };
}

