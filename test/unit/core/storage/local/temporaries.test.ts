import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalProvider } from '../../../../../shared/core/storage/local';
import { composeProvider } from '../../../../../shared/core/storage/wrappers';
import { collect, expectKind } from '../../../../conformance/storage-suite';
import type { StorageProvider, TemporaryObject } from '../../../../../shared/core/storage/provider';

/** Every temporary object the provider reports. */
async function temporariesOf(p: StorageProvider): Promise<TemporaryObject[]> {
  const out: TemporaryObject[] = [];
  for await (const t of p.temporaries!.list()) out.push(t);
  return out;
}


describe('local storage: temp files of killed writes', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'bd-local-temps-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('yields exactly the temp files a killed write leaves (through the wrappers too), hidden from list, and removes only those', async () => {
    const p = composeProvider(new LocalProvider(root));
    const uuid = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
    await mkdir(join(root, 'shop'), { recursive: true });
    await writeFile(join(root, `.shop.2026-01-02_03-04-05.zip.backup-desk-tmp-${uuid}`), 'half');
    await writeFile(join(root, 'shop', `.shop_x.dump.backup-desk-tmp-${uuid}`), 'half too');
    await writeFile(join(root, '.notes.backup-desk-tmp-nope'), 'not ours');
    await p.write!('shop/kept.zip', Readable.from([Buffer.from('kept')]));
    expect((await collect(p.list(''))).map((o) => o.key)).toEqual(['shop/kept.zip']);
    const temps = await temporariesOf(p);
    expect(temps.map((t) => [t.id, t.forKey, t.size]).sort()).toEqual([
      [`.shop.2026-01-02_03-04-05.zip.backup-desk-tmp-${uuid}`, 'shop.2026-01-02_03-04-05.zip', 4],
      [`shop/.shop_x.dump.backup-desk-tmp-${uuid}`, 'shop/shop_x.dump', 8],
    ]);
    await expectKind(() => p.temporaries!.remove({ ...temps[0]!, id: 'shop/kept.zip' }), 'InvalidInput');
    await expectKind(() => p.temporaries!.remove({ ...temps[0]!, id: `../.x.backup-desk-tmp-${uuid}` }), 'InvalidInput');
    for (const t of temps) await p.temporaries!.remove(t);
    await expectKind(() => p.temporaries!.remove(temps[0]!), 'NotFound');
    expect((await readdir(root)).sort()).toEqual(['.notes.backup-desk-tmp-nope', 'shop']);
    expect(await readdir(join(root, 'shop'))).toEqual(['kept.zip']);
  });
});
