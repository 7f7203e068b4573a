/**
 * What the built CLI's backup and daemon tests back up: an Odoo-shaped database "shop" on a
 * throwaway PostgreSQL cluster with ~40 MB of filestore (a backup takes long enough to stop it
 * half-way), and a CLI home with a local storage "nas".
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { runCli } from './cli-process';
import { createOdooShapedDb } from './odoo-shaped-db';
import { startPgCluster, type PgCluster } from './pg-cluster';

const ROOT = resolve(__dirname, '../..');

/** The cluster, the temp folder, the CLI home, the storage's folder and the Odoo data dir (`<dataDir>/filestore/shop`). */
export interface ShopToBackUp {
  readonly cluster: PgCluster;
  readonly tmp: string;
  readonly home: string;
  readonly store: string;
  readonly dataDir: string;
}

/** Builds the CLI when stale, then sets up the shop and the "nas" storage in a temp folder named `prefix…`. */
export async function shopToBackUp(prefix: string): Promise<ShopToBackUp> {
  await promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--quiet', '--if-stale'], { cwd: ROOT });
  const cluster = await startPgCluster();
  const tmp = await mkdtemp(join(tmpdir(), prefix));
  const shop = { cluster, tmp, home: join(tmp, 'home'), store: join(tmp, 'store'), dataDir: join(tmp, 'data') };
  await mkdir(shop.store, { recursive: true });
  await createOdooShapedDb(cluster.url, 'shop', { partners: 5000, blobs: 0, blobBytes: 0, files: 80, fileBytes: 500_000 }, join(shop.dataDir, 'filestore', 'shop'));
  const add = await runCli(shop.home, ['storage', 'add', 'nas', '--type', 'local', '--path', shop.store]);
  if (add.code !== 0) throw new Error(add.stderr);
  return shop;
}

/** Stops the cluster and removes the temp folder (whatever of them was set up). */
export async function removeShop(shop: Partial<ShopToBackUp> | undefined): Promise<void> {
  await shop?.cluster?.stop();
  if (shop?.tmp) await rm(shop.tmp, { recursive: true, force: true });
}
