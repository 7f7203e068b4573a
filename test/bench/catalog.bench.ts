/**
 * Catalog benchmark (`npx tsx test/bench/catalog.bench.ts`): 10,000 objects listed, fetched
 * (what the catalog reads up front) and parsed through the Desk exactly as `backup-desk list`
 * does.
 *   - 4 local folders of 2,500 objects each (odoo_backup_sh pairs, manager zips, OCA folders,
 *     Yenthe names, strays): wall time, best of 3;
 *   - the same 10,000 objects on ONE storage of a loopback S3 server (s3rver), against the
 *     baseline of a raw ListObjectsV2 page loop (the AWS SDK, 1,000 keys a page) on the same
 *     server: best of ≥ 3 rounds that alternate baseline and ours, the ratio, and peak RSS.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
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

  // One S3 storage on loopback: the full catalog against a raw ListObjectsV2 page loop.
  const s3 = await startS3Server('catalog-bench');
  try {
    await s3.seedObjects(objectsFor(10, 4 * PER_STORAGE).map((o) => ({ ...o, key: `shop/${o.key}` })));
    const sdesk = await Desk.open({ home: join(tmp, 'home-s3'), secrets: new MemorySecretStore() });
    await sdesk['storages:add'](s3.storageArgs('s3', 'shop'));
    const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
    const rawList = async (): Promise<number> => {
      let token: string | undefined;
      let count = 0;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'shop/', ...(token ? { ContinuationToken: token } : {}) }));
        count += page.Contents?.length ?? 0;
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return count;
    };
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
    const rounds = Math.max(3, Number(process.env.BENCH_ROUNDS ?? 3));
    let rawBest = Infinity;
    let oursBest = Infinity;
    let listed = 0;
    let cat: Awaited<ReturnType<(typeof sdesk)['catalog:list']>> | undefined;
    for (let r = 0; r < rounds; r++) {
      let t0 = performance.now();
      listed = await rawList();
      const rawMs = performance.now() - t0;
      t0 = performance.now();
      cat = await sdesk['catalog:list']({ includeStrays: true });
      const oursMs = performance.now() - t0;
      rawBest = Math.min(rawBest, rawMs);
      oursBest = Math.min(oursBest, oursMs);
      console.log(`  round ${r + 1}: raw ListObjectsV2 ${rawMs.toFixed(0)} ms, catalog ${oursMs.toFixed(0)} ms`);
    }
    clearInterval(sampler);
    if (cat!.failures.length) console.log('s3 failures:', JSON.stringify(cat!.failures));
    const ratio = oursBest / rawBest;
    console.log(
      `s3 (s3rver, loopback), one storage: ${listed} objects -> ${cat!.backups.length} backups + ${cat!.strays.length} strays | ` +
        `raw ListObjectsV2 loop ${rawBest.toFixed(0)} ms | catalog ${oursBest.toFixed(0)} ms | ratio ${ratio.toFixed(2)} (target ≤ 1.2${ratio <= 1.2 ? ', met' : ', NOT met'}) | ` +
        `peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB (best of ${rounds} alternating rounds)`,
    );
    client.destroy();
    await sdesk.close();
  } finally {
    await s3.stop();
  }
  await desk.close();
} finally {
  await rm(tmp, { recursive: true, force: true });
}
