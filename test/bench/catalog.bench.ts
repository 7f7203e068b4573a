/**
 * Catalog benchmark (`npx tsx test/bench/catalog.bench.ts`): 10,000 objects across storages,
 * listed, fetched (.info files, within the catalog's content budget) and parsed through the
 * Desk exactly as `backup-desk list` does.
 *   - 4 local folders of 2,500 objects each (odoo_backup_sh pairs, manager zips, OCA folders,
 *     Yenthe names, strays);
 *   - the same 10,000 objects on a loopback S3 server (s3rver), 2 storages of 5,000, listed
 *     through the real S3 provider with ListObjectsV2 paging.
 * Prints the wall time of each run (best of 3) and the counts it found.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Desk } from '../../shared/core/desk';
import { MemorySecretStore } from '../../shared/core/secrets/secret-store';
import { startS3Server } from '../helpers/s3-server';

const PER_STORAGE = 2500;

/** The objects of one storage: a realistic mix of every convention, plus strays. */
function objectsFor(i: number, count: number): { key: string; data: Buffer }[] {
  const out: { key: string; data: Buffer }[] = [];
  const zip = Buffer.from('PK\x03\x04 placeholder');
  for (let n = 0; out.length < count; n++) {
    const d = new Date(Date.UTC(2020, 0, 1) + n * 3600_000);
    const p = (x: number) => String(x).padStart(2, '0');
    const dash = `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}_${p(d.getUTCHours())}-${p(d.getUTCMinutes())}-${p(d.getUTCSeconds())}`;
    const us = dash.replace(/-/g, '_');
    switch (n % 5) {
      case 0:
        out.push({ key: `sh/db${i}.prod.${dash}.zip`, data: zip }, { key: `sh/db${i}.prod.${dash}.info`, data: Buffer.from(`[common]\ndatabase = db${i}.prod\nencrypted = False\n`) });
        break;
      case 1:
        out.push({ key: `manager/shop_${i}_${dash}.zip`, data: zip });
        break;
      case 2:
        out.push({ key: `oca/db_${i}/${us}.dump.zip`, data: zip });
        break;
      case 3:
        out.push({ key: `yenthe/${us}_db_${i}.dump`, data: Buffer.from('PGDMP') });
        break;
      default:
        out.push({ key: `misc/notes-${n}.txt`, data: Buffer.from('x') });
    }
  }
  return out.slice(0, count);
}

async function best<T>(runs: number, fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  let bestMs = Infinity;
  let value!: T;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    value = await fn();
    bestMs = Math.min(bestMs, performance.now() - t0);
  }
  return { ms: bestMs, value };
}

const tmp = await mkdtemp(join(tmpdir(), 'bd-catbench-'));
try {
  // Local folders.
  const desk = await Desk.open({ home: join(tmp, 'home'), secrets: new MemorySecretStore() });
  for (let i = 0; i < 4; i++) {
    const dir = join(tmp, `local${i}`);
    for (const o of objectsFor(i, PER_STORAGE)) {
      await mkdir(join(dir, o.key, '..'), { recursive: true });
      await writeFile(join(dir, o.key), o.data);
    }
    await desk['storages:add']({ name: `local${i}`, kind: 'local', settings: { path: dir } });
  }
  const local = await best(3, () => desk['catalog:list']({ includeStrays: true }));
  const n = (c: typeof local.value) => c.backups.length + c.strays.length + c.backups.reduce((s, b) => s + (b.companions?.length ?? 0), 0);
  console.log(`local: 4 folders, ${n(local.value)} objects -> ${local.value.backups.length} backups + ${local.value.strays.length} strays in ${local.ms.toFixed(0)} ms (best of 3)`);

  // S3 on loopback.
  const s3 = await startS3Server('catalog-bench');
  try {
    const all = [...objectsFor(10, 5000).map((o) => ({ ...o, key: `a/${o.key}` })), ...objectsFor(11, 5000).map((o) => ({ ...o, key: `b/${o.key}` }))];
    await s3.seedObjects(all);
    const sdesk = await Desk.open({ home: join(tmp, 'home-s3'), secrets: new MemorySecretStore() });
    for (const prefix of ['a', 'b']) {
      await sdesk['storages:add']({
        name: `s3${prefix}`,
        kind: 's3',
        settings: { endpoint: s3.endpoint, region: 'us-east-1', bucket: s3.bucket, prefix, forcePathStyle: true, accessKeyId: s3.accessKeyId },
        secrets: { secretAccessKey: s3.secretAccessKey },
      });
    }
    const remote = await best(3, () => sdesk['catalog:list']({ includeStrays: true }));
    if (remote.value.failures.length) console.log('s3 failures:', JSON.stringify(remote.value.failures));
    console.log(`s3 (s3rver, loopback): 2 storages, ${n(remote.value)} objects -> ${remote.value.backups.length} backups + ${remote.value.strays.length} strays in ${remote.ms.toFixed(0)} ms (best of 3)`);
    await sdesk.close();
  } finally {
    await s3.stop();
  }
  await desk.close();
} finally {
  await rm(tmp, { recursive: true, force: true });
}
