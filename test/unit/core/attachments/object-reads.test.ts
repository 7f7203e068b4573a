/**
 * Reading an attachment object through its SHA-1 meter, or a gzipped dump through gunzip for an
 * attachments scan, ends when the read fails: the failure of the storage stream reaches the reader
 * (it was piped, so the reader waited for good and the backup, migration or scan hung), and the
 * storage's transfer slot is given back; so does a scan whose filestore listing fails.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { BackupSource, FolderSource } from '../../../../shared/core/archive/source';
import { objectStorageEntries, scanBackupAttachments } from '../../../../shared/core/attachments';
import { objectSha1 } from '../../../../shared/core/attachments/migrate/run';
import type { ObjectHandle } from '../../../../shared/core/attachments/resolver';
import { providerSource } from '../../../../shared/core/desk/sources';
import { AppError } from '../../../../shared/core/errors';
import { createMemoryProvider } from '../../../../shared/core/storage/memory/memory-provider';
import { Semaphore, withConcurrencyLimit } from '../../../../shared/core/storage/wrappers/concurrency';
import { wrapProvider } from '../../../../shared/core/storage/wrappers/wrap';

const SHA = 'a'.repeat(40);

/** An object whose read delivers one chunk and then fails (not a transient failure: no resume). */
async function failingHandle(): Promise<{ handle: ObjectHandle; slots: Semaphore }> {
  const base = createMemoryProvider();
  await base.write!(SHA, Readable.from([Buffer.alloc(100_000, 1)]));
  const failing = wrapProvider(base, {
    read: async () =>
      new Readable({
        read() {
          this.push(Buffer.alloc(1000, 1));
          this.destroy(new AppError('Integrity', 'the object changed during the transfer'));
        },
      }),
  });
  const slots = new Semaphore(4);
  return { handle: { provider: withConcurrencyLimit(failing, slots), key: SHA, storage: 'b', label: 's3://b' }, slots };
}

/** Rejects when `p` takes longer than `ms` (a hang shows as a failure). */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms))]);
}

describe('attachment object reads that fail', () => {
  it('objectSha1 (migration) fails with the read and gives the slot back', async () => {
    const { handle, slots } = await failingHandle();
    await expect(within(objectSha1(handle, new AbortController().signal), 5000)).rejects.toMatchObject({ kind: 'Integrity' });
    expect(slots.inUse).toBe(0);
  });

  it('objectStorageEntries (backup) fails with the read and gives the slot back', async () => {
    const { handle, slots } = await failingHandle();
    const { entries } = objectStorageEntries({ names: [`s3://b/${SHA}`], resolver: { handleFor: async () => handle, close: async () => undefined } });
    const drain = async (): Promise<void> => {
      for await (const _ of entries) void _;
    };
    await expect(within(drain(), 5000)).rejects.toMatchObject({ kind: 'Integrity' });
    expect(slots.inUse).toBe(0);
  });
});

describe('a backup scan whose read fails half way', () => {
  it('fails (a gzipped SQL dump: the read was piped into gunzip and the scan waited for good)', async () => {
    const sql = gzipSync(Buffer.from(`-- Dumped from database version 15.0\n-- ${randomBytes(100_000).toString('hex')}\n`));
    const source: BackupSource = {
      name: 'acme.sql.gz',
      size: sql.length,
      seekable: false,
      open: async () => {
        let sent = 0;
        return new Readable({
          read() {
            if (sent < 3) this.push(sql.subarray(sent++ * 8192, sent * 8192));
            else this.destroy(new AppError('Transient', 'the connection was lost'));
          },
        });
      },
    };
    await expect(within(scanBackupAttachments(source), 5000)).rejects.toMatchObject({ kind: 'Transient' });
  });
});

describe('a backup scan whose filestore listing fails', () => {
  it('gives the read of its dump back', async () => {
    const base = createMemoryProvider({ chunkSize: 4096 });
    await base.write!('db.dump', Readable.from([Buffer.from('-- Dumped from database version 15.0\n'.repeat(20_000))]));
    const slots = new Semaphore(4);
    const dump = providerSource(withConcurrencyLimit(base, slots), 'db.dump', undefined);
    const filestore: FolderSource = {
      name: 'filestore',
      list: () => ({
        [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new AppError('Transient', 'the listing failed')) }),
      }),
      open: () => Promise.reject(new Error('not reached')),
    };
    await expect(scanBackupAttachments({ kind: 'multipart', name: 'acme', dump, filestore })).rejects.toMatchObject({ kind: 'Transient' });
    await new Promise((r) => setTimeout(r, 20));
    expect(slots.inUse).toBe(0);
  });
});
