/**
 * `schedule run` of a backup job with a drill after every backup, through the built CLI against
 * a real PostgreSQL and the private one: the run waits for that drill and says how it went; a
 * drill that fails (the backup misses a filestore file the database references, which a backup
 * allows with a warning, as Odoo's does) makes the run exit 1, the backup itself kept.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../../shared/core/pg/connection';
import { EmbeddedPg, findServerBinaries } from '../../../shared/core/pg/embedded';
import { runCli } from '../../helpers/cli-process';
import { removeShop, shopToBackUp, type ShopToBackUp } from '../../helpers/shop-to-back-up';

const hasServer = (await findServerBinaries()) !== undefined;
let shop: ShopToBackUp | undefined;

beforeAll(async () => {
  if (!hasServer) return;
  shop = await shopToBackUp('bd-sched-drill-');
  // The drill checks the admin user, which the Odoo-shaped database lacks.
  const c = await connect(shop.cluster.url, 'shop');
  await c.query("CREATE TABLE res_users (id integer PRIMARY KEY, login varchar NOT NULL); INSERT INTO res_users VALUES (2, 'admin')");
  await c.end();
}, 180_000);
afterAll(async () => {
  if (shop) await new EmbeddedPg({ home: shop.home }).destroy().catch(() => undefined);
  await removeShop(shop);
});

describe.skipIf(!hasServer)('schedule run with a drill after every backup', () => {
  it('reports the drill that followed the backup, and exits 1 when it failed', async () => {
    const s = shop!;
    const add = await runCli(s.home, ['schedule', 'add', 'nightly', '--every', 'yearly', '--tz', 'UTC', '--db', 'shop', '--source', s.cluster.url, '--data-dir', s.dataDir, '--to', 'nas', '--drill-every', '1']);
    expect(add.code, add.stderr).toBe(0);
    const ok = await runCli(s.home, ['schedule', 'run', 'nightly']);
    expect(ok.stdout).toMatch(/^nightly: ok — nas:\S+\nnightly\.drill: ok\n$/);
    expect(ok.code, ok.stderr).toBe(0);

    const folder = join(s.dataDir, 'filestore', 'shop');
    const sub = (await readdir(folder)).find((n) => n.length === 2)!;
    const file = (await readdir(join(folder, sub)))[0]!;
    await rm(join(folder, sub, file));
    await new Promise((r) => setTimeout(r, 1100)); // a backup name has the second in it
    const bad = await runCli(s.home, ['schedule', 'run', 'nightly']);
    expect(bad.stdout).toMatch(/^nightly: ok — nas:\S+\nnightly\.drill: failed — The restore drill of nas:\S+ failed: .*1 of 80 filestore attachments are missing/m);
    expect(bad.code).toBe(1);
    const list = await runCli(s.home, ['schedule', 'list']);
    expect(list.stdout).toMatch(/ok, DRILL FAILED/);
  }, 240_000);
});
