/**
 * The shared storage-provider conformance suite: one ordered story that every provider runs
 * against a real (or protocol-faithful local) server, on a fresh unique prefix.
 *
 * Use: `describeStorageProvider('s3', async () => ({ provider, cleanup, interruptNextTransfer }), { largeSize })`.
 * Per-provider exceptions are data in `opts` (step ids in `skip`), never `if`s in the suite.
 * `REQUIRE_PROVIDERS=s3,sftp` turns every skip of those providers into a failure (restic's
 * `SkipDisallowed`), so CI can insist that a provider really ran.
 */
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, isAppError } from '../../shared/core/errors';
import type { ObjectInfo, StorageProvider } from '../../shared/core/storage/provider';
import { Semaphore, withConcurrencyLimit } from '../../shared/core/storage/wrappers/concurrency';
import { resumableRead, writeWithRetry } from '../../shared/core/storage/wrappers/resume';

/** What a provider's setup hands the suite. */
export interface ProviderFixture {
  /** A connected provider; the suite works below a fresh prefix of its root. */
  readonly provider: StorageProvider;
  /** Stops servers, removes temp dirs; runs after the suite. */
  readonly cleanup: () => Promise<void>;
  /**
   * Makes the next transfer in `direction` lose its connection after about `afterBytes` bytes
   * (a proxy that drops the socket, a server hook…). Without it the resume steps are skipped.
   */
  readonly interruptNextTransfer?: (direction: 'read' | 'write', afterBytes: number) => void;
  /** Provider-specific check that no partial upload was left behind (e.g. S3 ListMultipartUploads). */
  readonly assertNoPartialUploads?: () => Promise<void>;
}

/** The steps of the story, in order; `skip` takes these ids. */
export const SUITE_STEPS = [
  'capabilities',
  'list-empty',
  'stat-missing',
  'read-missing',
  'round-trip-small',
  'round-trip-empty',
  'round-trip-large',
  'overwrite',
  'if-absent',
  'before-commit',
  'ranged-read',
  'list-paged',
  'names',
  'key-rules',
  'cancel-list',
  'cancel-read',
  'cancel-write',
  'reads-close',
  'resume-read',
  'resume-write',
  'remove',
  'cleanup',
] as const;

/** One step id. */
export type SuiteStep = (typeof SUITE_STEPS)[number];

/** Per-provider exceptions and sizes. */
export interface SuiteOptions {
  /** Steps this provider skips, with the reason shown in the report. */
  readonly skip?: Readonly<Partial<Record<SuiteStep, string>>>;
  /** When set, the whole suite is skipped with this reason (e.g. missing credentials). */
  readonly unavailable?: string;
  /** Size of the "large" object: make it cross the provider's multi-part threshold (default 3 MiB). */
  readonly largeSize?: number;
  /** Writes are not atomic: a cancelled write may leave an object behind (default false). */
  readonly nonAtomicWrites?: boolean;
  /** A folder below the provider root to create the unique run prefix in (default the root). */
  readonly basePrefix?: string;
  /** The provider resumes a dropped upload itself (upload sessions), so no whole-write retry is expected. */
  readonly writeResumesInternally?: boolean;
  /** The provider honours `ifAbsent` atomically at commit (local folders, SFTP); others skip that step. */
  readonly ifAbsent?: boolean;
  /** Names the storage cannot hold, removed from the `names` step (with a reason each). */
  readonly unsupportedNames?: Readonly<Record<string, string>>;
}

/** Providers named in `REQUIRE_PROVIDERS` (comma list) may not skip anything. */
export function requiredProviders(env: NodeJS.ProcessEnv = process.env): ReadonlySet<string> {
  return new Set(
    (env.REQUIRE_PROVIDERS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  );
}

/** Deterministic pseudo-random bytes (xorshift32), so failures are reproducible. */
export function patternBytes(size: number, seed: number): Buffer {
  const buf = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    buf.writeUInt32LE(x, i);
  }
  for (; i < size; i++) buf[i] = (x >>> (8 * (i % 4))) & 0xff;
  return buf;
}

/** A non-object-mode stream of `data` in `chunkSize` pieces. */
export function bodyOf(data: Buffer, chunkSize = 256 * 1024): Readable {
  let pos = 0;
  return new Readable({
    read() {
      if (pos >= data.length) {
        this.push(null);
        return;
      }
      const next = data.subarray(pos, pos + chunkSize);
      pos += next.length;
      this.push(next);
    },
  });
}

/** `bodyOf(data)` that records when its consumer asked past the last byte. */
export function endTracked(data: Buffer, chunkSize = 256 * 1024): Readable & { endReached: boolean } {
  let pos = 0;
  const body = new Readable({
    read() {
      if (pos >= data.length) {
        body.endReached = true;
        this.push(null);
        return;
      }
      const next = data.subarray(pos, pos + chunkSize);
      pos += next.length;
      this.push(next);
    },
  }) as Readable & { endReached: boolean };
  body.endReached = false;
  return body;
}

/** Reads a stream completely. */
export async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

/** Collects a listing. */
export async function collect(it: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const o of it) out.push(o);
  return out;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

/** Expects `fn` to reject with an `AppError` of `kind`; returns it. */
export async function expectKind(fn: () => Promise<unknown>, kind: AppError['kind']): Promise<AppError> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected an AppError of kind ${kind}`).toBeInstanceOf(AppError);
  const err = caught as AppError;
  expect(`${err.kind}: ${err.message}`).toMatch(new RegExp(`^${kind}:`));
  return err;
}

const NAMES: readonly string[] = [
  'with space.zip',
  'dots.v1..2.tar.gz',
  '.hidden',
  'hash#1.zip',
  'percent%20sign%.zip',
  'plus+sign.zip',
  'amp&eq=q?.zip',
  'café.dump',
  '日本/データ 1.zip',
];

/**
 * Registers the conformance story for one provider. `name` is what `REQUIRE_PROVIDERS` matches.
 */
export function describeStorageProvider(name: string, setup: () => Promise<ProviderFixture>, opts: SuiteOptions = {}): void {
  const required = requiredProviders().has(name);
  const largeSize = opts.largeSize ?? 3 * 1024 * 1024;

  describe(`storage conformance: ${name}`, () => {
    if (opts.unavailable !== undefined) {
      const reason = opts.unavailable;
      if (required) it('is available (required by REQUIRE_PROVIDERS)', () => expect.fail(`${name} is required but unavailable: ${reason}`));
      else it.skip(`skipped: ${reason}`, () => undefined);
      return;
    }

    let fx: ProviderFixture | undefined;
    let p!: StorageProvider;
    const prefix = `${opts.basePrefix ?? ''}conformance-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}/`;
    const k = (rel: string): string => prefix + rel;
    const large = patternBytes(largeSize, 7);
    const can = (what: 'write' | 'remove'): boolean => typeof p[what] === 'function';
    const put = async (key: string, data: Buffer): Promise<ObjectInfo> => {
      const w = p.write;
      if (w === undefined) throw new Error('write is not available');
      return w.call(p, key, bodyOf(data), { size: data.length });
    };

    beforeAll(async () => {
      fx = await setup();
      p = fx.provider;
    });
    afterAll(async () => {
      if (fx === undefined) return;
      try {
        await p.close();
      } finally {
        await fx.cleanup();
      }
    });

    /** One step: skipped (visibly) when `opts.skip` names it or a need is unmet; a failure instead when required. */
    const step = (id: SuiteStep, title: string, fn: () => Promise<void>, needs: () => string | undefined = () => undefined): void => {
      it(`${id}: ${title}`, async (ctx) => {
        const reason = opts.skip?.[id] ?? needs();
        if (reason !== undefined) {
          if (required) expect.fail(`${name} step ${id} would be skipped (${reason}) but REQUIRE_PROVIDERS includes ${name}`);
          ctx.skip(reason);
          return;
        }
        await fn();
      });
    };
    const needsWrite = (): string | undefined => (can('write') ? undefined : 'the provider is read-only');
    const needsRemove = (): string | undefined => (can('remove') ? undefined : 'the provider cannot delete');
    const needsInterrupt = (): string | undefined =>
      needsWrite() ?? (fx?.interruptNextTransfer === undefined ? 'the fixture has no interruptNextTransfer hook' : undefined);

    step('capabilities', 'optional methods exist exactly when the capability flags say so', async () => {
      const c = p.capabilities;
      expect(typeof p.write === 'function').toBe(c.write);
      expect(typeof p.remove === 'function').toBe(c.remove);
      expect(Number.isInteger(c.maxConcurrency) && c.maxConcurrency >= 1).toBe(true);
      expect(typeof c.rangeReads).toBe('boolean');
      expect(typeof c.caseInsensitive).toBe('boolean');
      expect(p.kind).toMatch(/^(local|memory|s3|dropbox|gdrive|swift|sftp)$/);
    });

    step('list-empty', 'a fresh prefix lists nothing', async () => {
      expect(await collect(p.list(prefix))).toEqual([]);
      expect(await collect(p.list(k('nothing/here/')))).toEqual([]);
    });

    step('stat-missing', 'stat of a missing key is NotFound', async () => {
      await expectKind(() => p.stat(k('missing.zip')), 'NotFound');
      await expectKind(() => p.stat(k('no/such/folder/missing.zip')), 'NotFound');
    });

    step('read-missing', 'read of a missing key is NotFound', async () => {
      await expectKind(async () => drain(await p.read(k('missing.zip'))), 'NotFound');
      await expectKind(async () => drain(await p.read(k('missing.zip'), { range: { offset: 1, length: 2 } })), 'NotFound');
    });

    const checkRoundTrip = async (key: string, data: Buffer): Promise<void> => {
      const before = Date.now();
      const info = await put(key, data);
      expect(info.key).toBe(key);
      expect(info.size).toBe(data.length);
      const st = await p.stat(key);
      expect(st.key).toBe(key);
      expect(st.size).toBe(data.length);
      expect(st.modified).toBeInstanceOf(Date);
      expect(Math.abs(st.modified.getTime() - before)).toBeLessThan(10 * 60_000);
      if (st.checksum?.algorithm === 'md5') expect(st.checksum.value).toBe(md5(data));
      const back = await drain(await p.read(key));
      expect(back.length).toBe(data.length);
      expect(sha(back)).toBe(sha(data));
    };

    step('round-trip-small', 'write, stat and read back a small object', async () => checkRoundTrip(k('small.bin'), patternBytes(1000, 1)), needsWrite);
    step('round-trip-empty', 'write, stat and read back a zero-length object', async () => checkRoundTrip(k('empty.bin'), Buffer.alloc(0)), needsWrite);
    step(
      'round-trip-large',
      `write, stat and read back a ${Math.round(largeSize / 1024)} KiB object (multi-part), reporting progress`,
      async () => {
        const key = k('large.bin');
        const w = p.write!;
        let last = 0;
        let calls = 0;
        const info = await w.call(p, key, bodyOf(large, 100_000), {
          size: large.length,
          onProgress: (n) => {
            expect(n).toBeGreaterThanOrEqual(last);
            last = n;
            calls++;
          },
        });
        expect(info.size).toBe(large.length);
        expect(calls).toBeGreaterThan(0);
        expect(last).toBe(large.length);
        expect((await p.stat(key)).size).toBe(large.length);
        expect(sha(await drain(await p.read(key)))).toBe(sha(large));
        // Unknown size: the provider must still stream it correctly.
        const key2 = k('large-unknown-size.bin');
        await w.call(p, key2, bodyOf(large, 65_536));
        expect(sha(await drain(await p.read(key2)))).toBe(sha(large));
      },
      needsWrite,
    );

    step(
      'overwrite',
      'writing an existing key replaces it',
      async () => {
        const key = k('overwrite.txt');
        await put(key, Buffer.from('first version, longer'));
        await put(key, Buffer.from('second'));
        expect((await p.stat(key)).size).toBe(6);
        expect((await drain(await p.read(key))).toString()).toBe('second');
        const listed = (await collect(p.list(prefix))).filter((o) => o.key === key);
        expect(listed).toHaveLength(1);
      },
      needsWrite,
    );

    step(
      'if-absent',
      'with ifAbsent, a write that finishes after another writer made the key fails with Conflict and leaves the other one intact',
      async () => {
        const key = k('if-absent.zip');
        const held = new PassThrough();
        const first = p.write!(key, held, { ifAbsent: true });
        held.write(Buffer.from('the slower writer, '));
        await put(key, Buffer.from('the faster writer'));
        held.end(Buffer.from('which loses'));
        await expectKind(() => first, 'Conflict');
        expect((await drain(await p.read(key))).toString()).toBe('the faster writer');
        await expectKind(() => p.write!(key, bodyOf(Buffer.from('again')), { ifAbsent: true }), 'Conflict');
        expect((await collect(p.list(prefix))).filter((o) => o.key.startsWith(k('if-absent')))).toHaveLength(1);
        await fx?.assertNoPartialUploads?.();
      },
      () => needsWrite() ?? (opts.ifAbsent ? undefined : 'the storage has no atomic create-only write; backups stat their keys beforehand'),
    );

    step(
      'before-commit',
      'beforeCommit runs once, after the whole body was taken and before the object is visible; when it fails nothing is stored',
      async () => {
        const cases = [
          { name: 'small', data: Buffer.from('a small companion-sized body'), sized: true },
          { name: 'large', data: large, sized: true },
          { name: 'large-unsized', data: large, sized: false },
          { name: 'empty', data: Buffer.alloc(0), sized: false },
        ];
        for (const c of cases) {
          const key = k(`before-commit/${c.name}.bin`);
          const body = endTracked(c.data);
          let calls = 0;
          const beforeCommit = async (): Promise<void> => {
            calls++;
            expect(body.endReached, `${c.name}: called before the body's end was reached`).toBe(true);
            await expectKind(() => p.stat(key), 'NotFound');
          };
          const info = await p.write!(key, body, { ...(c.sized ? { size: c.data.length } : {}), beforeCommit });
          expect(calls, c.name).toBe(1);
          expect(info.size).toBe(c.data.length);
          expect(sha(await drain(await p.read(key)))).toBe(sha(c.data));
          const refusedKey = k(`before-commit/refused-${c.name}.bin`);
          const refusal = new AppError('Conflict', 'the companion was already there');
          const err = await expectKind(() => p.write!(refusedKey, endTracked(c.data), { ...(c.sized ? { size: c.data.length } : {}), beforeCommit: () => Promise.reject(refusal) }), 'Conflict');
          expect(err.message).toContain('the companion was already there');
          await expectKind(() => p.stat(refusedKey), 'NotFound');
        }
        expect((await collect(p.list(k('before-commit/')))).map((o) => o.key).sort()).toEqual(cases.map((c) => k(`before-commit/${c.name}.bin`)).sort());
        await fx?.assertNoPartialUploads?.();
      },
      needsWrite,
    );

    step(
      'ranged-read',
      'ranged reads (start, middle, to the end, across parts) are byte-identical',
      async () => {
        const key = k('large.bin');
        const n = large.length;
        const ranges: Array<{ offset: number; length?: number }> = [
          { offset: 0, length: 100 },
          { offset: 12_345, length: 1_000 },
          { offset: Math.floor(n / 2) - 5_000, length: 10_000 },
          { offset: n - 777 },
          { offset: n - 1, length: 1 },
          { offset: 0, length: n + 10 },
          { offset: 5, length: 0 },
        ];
        for (const r of ranges) {
          const got = await drain(await p.read(key, { range: r }));
          const want = large.subarray(r.offset, r.length === undefined ? n : r.offset + r.length);
          expect(got.length, JSON.stringify(r)).toBe(want.length);
          expect(got.equals(want), JSON.stringify(r)).toBe(true);
        }
      },
      needsWrite,
    );

    const listKeys = ['a.zip', 'b.zip', 'c/d.zip', 'c/e/f.zip', 'c/e/g h.zip', 'i.info', 'j/k/l/m.zip', 'c-sibling.zip'].map((r) => k(`list/${r}`));
    step(
      'list-paged',
      'listing with pageSize 2 yields every nested object exactly once, with sizes',
      async () => {
        for (const [i, key] of listKeys.entries()) await put(key, patternBytes(10 + i, i + 100));
        const all = await collect(p.list(k('list/'), { pageSize: 2 }));
        expect(all.map((o) => o.key).sort()).toEqual([...listKeys].sort());
        for (const o of all) {
          expect(o.size).toBe(10 + listKeys.indexOf(o.key));
          expect(o.modified).toBeInstanceOf(Date);
        }
        const sub = await collect(p.list(k('list/c/'), { pageSize: 2 }));
        expect(sub.map((o) => o.key).sort()).toEqual([k('list/c/d.zip'), k('list/c/e/f.zip'), k('list/c/e/g h.zip')]);
        const whole = await collect(p.list(prefix, { pageSize: 3 }));
        expect(new Set(whole.map((o) => o.key)).size).toBe(whole.length);
        for (const key of listKeys) expect(whole.map((o) => o.key)).toContain(key);
        // Breaking out of a listing early is allowed and leaks nothing.
        for await (const _o of p.list(k('list/'), { pageSize: 2 })) break;
      },
      needsWrite,
    );

    step(
      'names',
      'names with spaces, dots, #, %, +, & and non-ASCII round-trip through write, list, stat and read',
      async () => {
        const names = NAMES.filter((n) => opts.unsupportedNames?.[n] === undefined);
        for (const [i, n] of names.entries()) {
          const key = k(`names/${n}`);
          const data = Buffer.from(`content of ${n} #${i}`);
          const info = await put(key, data);
          expect(info.key).toBe(key);
          expect((await p.stat(key)).size).toBe(data.length);
          expect((await drain(await p.read(key))).equals(data)).toBe(true);
        }
        const listed = (await collect(p.list(k('names/'), { pageSize: 4 }))).map((o) => o.key).sort();
        expect(listed).toEqual(names.map((n) => k(`names/${n}`)).sort());
      },
      needsWrite,
    );

    step('key-rules', 'invalid keys are InvalidInput; a leading "./" is a literal key exactly when keyRules says so', async () => {
      const bad = ['x/', 'a/./b.zip', 'a/../b.zip', '../x.zip', '././x.zip', '.', '..', 'x\u0000y'];
      // Empty segments are keys exactly when keyRules.emptySegments says so (S3's `backups//x.zip`).
      const emptySeg = ['/x.zip', 'a//b.zip'];
      const empties = p.capabilities.keyRules?.emptySegments === true;
      for (const key of empties ? bad : [...bad, ...emptySeg]) {
        await expectKind(() => p.stat(key), 'InvalidInput');
        await expectKind(() => p.read(key), 'InvalidInput');
      }
      if (empties) for (const key of emptySeg) await expectKind(() => p.stat(key.startsWith('/') ? key : k(key)), 'NotFound');
      const dotKey = `./${k('dot.zip')}`;
      if (p.capabilities.keyRules?.leadingDotSegment !== true) {
        await expectKind(() => p.stat(dotKey), 'InvalidInput');
        await expectKind(() => p.read(dotKey), 'InvalidInput');
        return;
      }
      // The provider declares `./` keys literal: list yields them, and stat/read/remove take them back.
      if (!can('write') || !can('remove')) return;
      const data = Buffer.from('odoo_backup_sh with an empty Path');
      expect((await put(dotKey, data)).key).toBe(dotKey);
      await expectKind(() => p.stat(k('dot.zip')), 'NotFound');
      const listed = (await collect(p.list(`./${prefix}`))).map((o) => o.key);
      expect(listed).toEqual([dotKey]);
      expect((await p.stat(listed[0]!)).size).toBe(data.length);
      expect((await drain(await p.read(listed[0]!))).equals(data)).toBe(true);
      await p.remove!(dotKey);
      await expectKind(() => p.stat(dotKey), 'NotFound');
    });

    step(
      'cancel-list',
      'aborting a listing rejects with Cancelled',
      async () => {
        const ac = new AbortController();
        await expectKind(async () => {
          for await (const _o of p.list(k('list/'), { pageSize: 2, signal: ac.signal })) ac.abort();
        }, 'Cancelled');
        const pre = new AbortController();
        pre.abort();
        await expectKind(() => collect(p.list(prefix, { signal: pre.signal })), 'Cancelled');
      },
      needsWrite,
    );

    step(
      'cancel-read',
      'aborting a read half way rejects with Cancelled',
      async () => {
        const ac = new AbortController();
        let got = 0;
        await expectKind(async () => {
          const s = await p.read(k('large.bin'), { signal: ac.signal });
          for await (const c of s) {
            got += (c as Buffer).length;
            if (got > 0) ac.abort();
          }
        }, 'Cancelled');
        expect(got).toBeLessThan(large.length);
        const pre = new AbortController();
        pre.abort();
        await expectKind(async () => drain(await p.read(k('small.bin'), { signal: pre.signal })), 'Cancelled');
        // The provider still works after a cancelled transfer.
        expect(sha(await drain(await p.read(k('large.bin'))))).toBe(sha(large));
      },
      needsWrite,
    );

    step(
      'reads-close',
      'every read closes when it is done with (read to the end, destroyed unread or half way, aborted): what gives its transfer slot back',
      async () => {
        const slots = new Semaphore(8);
        const limited = withConcurrencyLimit(p, slots);
        await drain(await limited.read(k('large.bin'), { range: { offset: 1000, length: 5000 } }));
        (await limited.read(k('large.bin'))).destroy();
        const half = await limited.read(k('large.bin'));
        for await (const _ of half) break;
        const ac = new AbortController();
        const aborted = await limited.read(k('large.bin'), { signal: ac.signal });
        aborted.once('data', () => ac.abort());
        await drain(aborted).catch(() => undefined);
        for (let i = 0; i < 100 && slots.inUse > 0; i++) await new Promise((r) => setTimeout(r, 20));
        expect(slots.inUse).toBe(0);
      },
      needsWrite,
    );

    step(
      'cancel-write',
      'aborting a write half way rejects with Cancelled and leaves no object or partial upload',
      async () => {
        const key = k('cancel/large.bin');
        const ac = new AbortController();
        let pulled = 0;
        const cutAt = Math.floor(large.length * 0.6);
        const body = new Readable({
          read() {
            if (pulled >= large.length) {
              this.push(null);
              return;
            }
            const next = large.subarray(pulled, pulled + 64 * 1024);
            pulled += next.length;
            if (pulled >= cutAt && !ac.signal.aborted) setTimeout(() => ac.abort(), 20);
            setTimeout(() => this.push(next), 1);
          },
        });
        await expectKind(() => p.write!(key, body, { size: large.length, signal: ac.signal }), 'Cancelled');
        if (!opts.nonAtomicWrites) {
          await expectKind(() => p.stat(key), 'NotFound');
          expect(await collect(p.list(k('cancel/')))).toEqual([]);
        }
        await fx?.assertNoPartialUploads?.();
        const pre = new AbortController();
        pre.abort();
        await expectKind(() => p.write!(k('cancel/pre.bin'), bodyOf(Buffer.from('x')), { signal: pre.signal }), 'Cancelled');
        if (!opts.nonAtomicWrites) await expectKind(() => p.stat(k('cancel/pre.bin')), 'NotFound');
      },
      needsWrite,
    );

    step(
      'resume-read',
      'a read that loses its connection half way fails Transient, and resumableRead finishes it byte-identical',
      async () => {
        const key = k('large.bin');
        fx!.interruptNextTransfer!('read', Math.floor(large.length / 2));
        await expectKind(async () => drain(await p.read(key)), 'Transient');
        fx!.interruptNextTransfer!('read', Math.floor(large.length / 3));
        const offsets: number[] = [];
        const s = await resumableRead(p, key, { baseDelayMs: 10, onResume: (off) => offsets.push(off) });
        const got = await drain(s);
        expect(offsets.length).toBeGreaterThanOrEqual(1);
        expect(offsets[0]).toBeGreaterThan(0);
        expect(offsets[0]).toBeLessThan(large.length);
        expect(sha(got)).toBe(sha(large));
        // Ranged + resumed.
        const r = { offset: 1000, length: large.length - 2000 };
        fx!.interruptNextTransfer!('read', Math.floor(large.length / 4));
        const part = await drain(await resumableRead(p, key, { range: r, baseDelayMs: 10 }));
        expect(part.equals(large.subarray(r.offset, r.offset + r.length))).toBe(true);
      },
      needsInterrupt,
    );

    step(
      'resume-write',
      'a write that loses its connection half way is retried (or resumed) to a complete, single object',
      async () => {
        const key = k('resume/large.bin');
        fx!.interruptNextTransfer!('write', Math.floor(large.length / 2));
        const retries: string[] = [];
        const info = await writeWithRetry(p, key, () => bodyOf(large), {
          size: large.length,
          baseDelayMs: 10,
          onRetry: (_n, e) => retries.push(e.kind),
        });
        expect(info.size).toBe(large.length);
        // Without protocol-level resume the drop must have surfaced as a Transient failure.
        if (!opts.writeResumesInternally) expect(retries).toContain('Transient');
        expect(sha(await drain(await p.read(key)))).toBe(sha(large));
        expect((await collect(p.list(k('resume/')))).map((o) => o.key)).toEqual([key]);
        await fx?.assertNoPartialUploads?.();
      },
      needsInterrupt,
    );

    step(
      'remove',
      'remove deletes; stat, read and a second remove are then NotFound',
      async () => {
        const key = k('small.bin');
        await p.remove!(key);
        await expectKind(() => p.stat(key), 'NotFound');
        await expectKind(async () => drain(await p.read(key)), 'NotFound');
        await expectKind(() => p.remove!(key), 'NotFound');
        expect((await collect(p.list(prefix))).map((o) => o.key)).not.toContain(key);
      },
      () => needsWrite() ?? needsRemove(),
    );

    step(
      'cleanup',
      'everything below the run prefix can be removed, leaving an empty listing',
      async () => {
        for (const o of await collect(p.list(prefix))) await p.remove!(o.key);
        expect(await collect(p.list(prefix))).toEqual([]);
      },
      () => needsWrite() ?? needsRemove(),
    );
  });
}

/** True when `e` is a `Transient` AppError (for fixtures that count drops). */
export const isTransient = (e: unknown): boolean => isAppError(e, 'Transient');
