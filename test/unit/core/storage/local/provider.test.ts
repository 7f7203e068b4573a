/** The local folder provider's writes: never into a storage folder that is gone, and no empty folder left by one that failed. */
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalProvider } from '../../../../../shared/core/storage/local';
import { expectKind } from '../../../../conformance/storage-suite';

describe('local storage writes', () => {
  let tmp: string;
  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'bd-local-write-'));
  });
  afterEach(() => rm(tmp, { recursive: true, force: true }));

  it('refuses to write when the storage folder is gone (an unmounted disk), and does not create it', async () => {
    const root = join(tmp, 'nas-mount');
    const p = new LocalProvider(root);
    const err = await expectKind(() => p.write('shop/shop_2026-12-07.zip', Readable.from([Buffer.from('x')])), 'NotFound');
    expect(err.message).toBe(`The storage folder ${root} does not exist.`);
    expect(err.hint).toMatch(/mounted/);
    await expect(stat(root)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('removes the folders a failed write created, and only those', async () => {
    const root = join(tmp, 'store');
    await mkdir(join(root, 'kept'), { recursive: true });
    const p = new LocalProvider(root);
    await expectKind(() => p.write('shop/2026/shop.zip', Readable.from([Buffer.from('four')]), { size: 5 }), 'Integrity');
    await expectKind(() => p.write('kept/shop.zip', Readable.from([Buffer.from('four')]), { size: 5 }), 'Integrity');
    expect(await readdir(root)).toEqual(['kept']);
    await p.write('shop/2026/shop.zip', Readable.from([Buffer.from('four')]), { size: 4 });
    expect(await readdir(join(root, 'shop', '2026'))).toEqual(['shop.zip']);
  });
});
