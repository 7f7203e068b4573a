/**
 * `backup-desk backup` as a user runs it (the built CLI): a backup of a real PostgreSQL database
 * and its filestore to a local storage, listed by `list` and recorded in `history`; Ctrl-C
 * (exit 130) and a kill -9 half-way leave nothing that `list` shows, and `cleanup` removes the
 * temporary file the kill left.
 */
import { readdirSync, statSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpgGenKey, makeGpgHome } from '../../helpers/gpg';
import { psql, type PgCluster } from '../../helpers/pg-cluster';
import { removeShop, shopToBackUp } from '../../helpers/shop-to-back-up';
import { runCli, startCli, waitFor as waitUntil } from '../../helpers/cli-process';


const start = startCli;
const cli = runCli;
const waitFor = (cond: () => boolean): Promise<void> => waitUntil(cond, 60_000);

describe('backup-desk backup (built CLI)', () => {
  let cluster: PgCluster;
  let tmp: string;
  let home: string;
  let store: string;
  let dataDir: string;

  beforeAll(async () => {
    ({ cluster, tmp, home, store, dataDir } = await shopToBackUp('bd-cli-backup-'));
  }, 300_000);
  afterAll(() => removeShop({ cluster, tmp }));

  const backupArgs = (...extra: string[]): string[] => ['backup', '--db', 'shop', '--source', cluster.url, '--data-dir', dataDir, '--to', 'nas', ...extra];

  it('Ctrl-C half-way exits 130 and leaves nothing listed (nor any temporary file)', async () => {
    const p = start(home, backupArgs());
    await waitFor(() => /Dumping, archiving and uploading/.test(p.stderr()));
    p.child.kill('SIGINT');
    const r = await p.done;
    expect(r.code).toBe(130);
    expect(await readdir(store)).toEqual([]);
    const hist = JSON.parse((await cli(home, ['history', '--json'])).stdout) as Array<{ kind: string; outcome: string }>;
    expect(hist[0]).toMatchObject({ kind: 'backup', outcome: 'cancelled' });
  });

  it('kill -9 half-way leaves nothing that list shows; cleanup finds and removes the temporary file', async () => {
    const p = start(home, backupArgs());
    await waitFor(() => /Dumping, archiving and uploading/.test(p.stderr()));
    // kill it mid-write: once its hidden temporary file holds some bytes
    let temp: string | undefined;
    await waitUntil(() => {
      temp = readdirSync(store).find((n) => n.includes('.backup-desk-tmp-'));
      return temp !== undefined && statSync(join(store, temp)).size > 1_000_000;
    }, 60_000);
    p.child.kill('SIGKILL');
    await p.done;
    const list = await cli(home, ['list', '--json', '--all']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([]);
    expect(await readdir(store)).toEqual([temp]);

    const cleanup = (...extra: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
      cli(home, ['cleanup', '--target', cluster.url, '--data-dir', dataDir, ...extra]);
    const young = await cleanup('--yes');
    expect(young.code).toBe(0);
    expect(young.stderr).toMatch(/^1 temporary file younger than 10 min left alone on nas: it may belong to a backup still running \(--older-than 0 includes it\)\.$/m);
    expect(young.stdout).toContain('no temporary files of interrupted backups old enough to remove on nas');
    expect(await readdir(store)).toEqual([temp]);

    const listed = await cleanup('--older-than', '0');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/would remove 1 temporary file of interrupted backups:/);
    expect(listed.stdout).toContain(`nas: ${temp} (unfinished upload of ${temp!.slice(1, temp!.indexOf('.backup-desk-tmp-'))};`);
    expect(await readdir(store)).toEqual([temp]);

    const removed = await cleanup('--older-than', '0', '--yes');
    expect(removed.stderr).toBe('');
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(new RegExp(`^removed nas: ${temp!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `, 'm'));
    expect(await readdir(store)).toEqual([]);
    expect((await cleanup('--older-than', '0')).stdout).toContain('no temporary files of interrupted backups on nas');
    const unknown = await cleanup('--storage', 'nowhere', '--yes');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/no storage named "nowhere"/i);
    expect(unknown.stdout).toBe('');
  });

  it('a backup encrypted to a public key (--recipient) is read back with --private-key: verify, inspect, download --decrypt, restore', async () => {
    const gpg = await makeGpgHome();
    try {
      const key = await gpgGenKey(gpg, 'ops <ops@example.com>', 'key secret 123');
      await writeFile(join(tmp, 'ops.pub.asc'), key.armoredPublic);
      await writeFile(join(tmp, 'ops.key'), key.binarySecret);
      await writeFile(join(tmp, 'ops.key.pass'), 'key secret 123\n');
      await writeFile(join(tmp, 'wrong.pass'), 'not the key secret\n');
      const made = await cli(home, ['backup', '--db', 'shop', '--source', cluster.url, '--no-filestore', '--to', 'nas', '--recipient', join(tmp, 'ops.pub.asc'), '--layout', 'backup-desk', '--json']);
      expect(made.code, made.stderr).toBe(0);
      const ref = (JSON.parse(made.stdout) as { destinations: Array<{ ref: string }> }).destinations[0]!.ref;
      expect(ref).toMatch(/\.zip\.gpg$/);
      // Without the key, the CLI says what opens it.
      const without = await cli(home, ['verify', ref]);
      expect(without.code).toBe(2);
      expect(without.stderr).toMatch(/^hint: .*--private-key FILE/m);
      const withKey = ['--private-key', join(tmp, 'ops.key'), '--private-key-passphrase-file', join(tmp, 'ops.key.pass')];
      const verified = await cli(home, ['verify', ref, ...withKey]);
      expect(verified.code, verified.stderr + verified.stdout).toBe(0);
      const inspected = JSON.parse((await cli(home, ['inspect', ref, '--json', ...withKey])).stdout) as { encrypted: boolean; database?: string };
      expect(inspected).toMatchObject({ encrypted: true, database: 'shop' });
      const out = join(tmp, 'from-key.zip');
      const downloaded = await cli(home, ['download', ref, '--decrypt', '--out', out, ...withKey]);
      expect(downloaded.code, downloaded.stderr).toBe(0);
      expect((await readFile(out)).subarray(0, 2).toString('latin1')).toBe('PK');
      const restored = await cli(home, ['restore', ref, '--db', 'shop_from_key', '--target', cluster.url, '--no-filestore', ...withKey]);
      expect(restored.code, restored.stderr).toBe(0);
      expect(await psql(cluster.urlFor('shop_from_key'), 'SELECT count(*) FROM res_partner')).toBe(await psql(cluster.urlFor('shop'), 'SELECT count(*) FROM res_partner'));
      // The key's own passphrase wrong: said so, nothing restored.
      const wrong = await cli(home, ['restore', ref, '--db', 'shop_wrong_key', '--target', cluster.url, '--no-filestore', '--private-key', join(tmp, 'ops.key'), '--private-key-passphrase-file', join(tmp, 'wrong.pass')]);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/^error: .*private key/im);
      expect((await psql(cluster.urlFor('postgres'), "SELECT count(*) FROM pg_database WHERE datname LIKE '%shop_wrong_key%'")).trim()).toBe('0');
    } finally {
      await gpg.close();
      // The tests after this one count what the storage holds.
      await rm(join(store, 'shop'), { recursive: true, force: true });
      await psql(cluster.urlFor('postgres'), 'DROP DATABASE IF EXISTS shop_from_key');
    }
  });

  it('a restore that reads the whole file warns when its sha256 is not the one its companion records', async () => {
    try {
      await writeFile(join(tmp, 'pw'), 'restore check secret\n');
      const made = await cli(home, ['backup', '--db', 'shop', '--source', cluster.url, '--no-filestore', '--to', 'nas', '--passphrase-file', join(tmp, 'pw'), '--layout', 'backup-desk', '--json']);
      expect(made.code, made.stderr).toBe(0);
      const ref = (JSON.parse(made.stdout) as { destinations: Array<{ ref: string }> }).destinations[0]!.ref;
      const restore = (db: string) => cli(home, ['restore', ref, '--db', db, '--target', cluster.url, '--no-filestore', '--passphrase-file', join(tmp, 'pw')]);
      const same = await restore('shop_sha_same');
      expect(same.code, same.stderr).toBe(0);
      expect(same.stderr).not.toMatch(/companion records/);
      // The sidecar now records another sha256 (as if the file had been replaced by another one).
      const sidecar = join(store, ref.slice('nas:'.length).replace(/\.zip\.gpg$/, '.json'));
      const json = JSON.parse(await readFile(sidecar, 'utf8')) as { sha256: string };
      await writeFile(sidecar, JSON.stringify({ ...json, sha256: 'f'.repeat(64) }));
      const other = await restore('shop_sha_other');
      expect(other.code, other.stderr).toBe(0);
      expect(other.stderr).toMatch(/^warning: Its sha256 \([0-9a-f]{16}…\) is not the one its companion records \(ffffffffffffffff…\): everything in it checked out, but it is not the file that was made\./m);
    } finally {
      await rm(join(store, 'shop'), { recursive: true, force: true });
      for (const db of ['shop_sha_same', 'shop_sha_other']) await psql(cluster.urlFor('postgres'), `DROP DATABASE IF EXISTS ${db}`);
    }
  });

  it('backs up, prints the result (refs, size, sha256, verification) and list shows it', async () => {
    const r = await cli(home, backupArgs('--json'));
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as { destinations: Array<{ ok: boolean; ref: string }>; size: number; sha256: string; verification: { status: string; referenced: number }; durationMs: number };
    expect(res.destinations).toEqual([expect.objectContaining({ ok: true, ref: expect.stringMatching(/^nas:shop\.\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}\.zip$/) })]);
    expect(res.verification).toMatchObject({ status: 'complete', referenced: 80 });
    expect(res.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.stderr).toMatch(/Dumping, archiving and uploading/);
    const list = JSON.parse((await cli(home, ['list', '--json', '--all'])).stdout) as Array<{ ref: string; size: number; warnings?: string[] }>;
    expect(list).toEqual([expect.objectContaining({ ref: res.destinations[0]!.ref, size: res.size, database: 'shop', convention: 'odoo-backup-sh' })]);
    const hist = JSON.parse((await cli(home, ['history', '--json'])).stdout) as Array<{ kind: string; outcome: string; bytes: number; refs: string[] }>;
    expect(hist[0]).toMatchObject({ kind: 'backup', outcome: 'ok', bytes: res.size, refs: [res.destinations[0]!.ref] });
    // A storage named twice is written once.
    const human = await cli(home, backupArgs('--to', 'nas', '--layout', 'backup-desk'));
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^backed up shop \(zip\) — .*sha256 [0-9a-f]{64}, in \d+\.\d s\n {2}nas:shop\/shop_.*\.zip\nverification: All 80 files/);
    const again = JSON.parse((await cli(home, ['history', '--json'])).stdout) as Array<{ destinations: string[] }>;
    expect(again[0]!.destinations).toEqual(['nas']);
  });

  it('odoo-manager layout: list shows the sha256 of its .sha256 file, download checks it, a wrong one fails the download', async () => {
    const r = await cli(home, backupArgs('--layout', 'odoo-manager', '--json'));
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as { destinations: Array<{ ref: string; key: string; companionKey: string }>; size: number; sha256: string };
    const { key, companionKey, ref } = res.destinations[0]!;
    expect(companionKey).toBe(`${key}.sha256`);
    const list = JSON.parse((await cli(home, ['list', '--json', '--all'])).stdout) as Array<{ ref: string; sha256?: string; companions?: string[]; warnings?: string[] }>;
    expect(list.find((b) => b.ref === ref)).toEqual(expect.objectContaining({ convention: 'odoo-manager', size: res.size, sha256: res.sha256, companions: [companionKey] }));
    expect(list.find((b) => b.ref === ref)!.warnings).toBeUndefined();
    const out = join(tmp, 'dl');
    const ok = await cli(home, ['download', ref, '--out', out]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/verified: size, sha256 \(companion\)/);
    await writeFile(join(store, companionKey), `${'0'.repeat(64)}  ${key}\n# bytes: ${res.size}\n`);
    const bad = await cli(home, ['download', ref, '--out', join(tmp, 'dl2')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/sha256/i);
  });

  it('--format dump without --layout writes the database manager\'s names (odoo_backup_sh holds zips only); an explicit odoo-backup-sh is refused', async () => {
    const r = await cli(home, ['backup', '--db', 'shop', '--source', cluster.url, '--no-filestore', '--to', 'nas', '--format', 'dump', '--json']);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const { key, companionKey } = (JSON.parse(r.stdout) as { destinations: Array<{ key: string; companionKey: string }> }).destinations[0]!;
    expect(key).toMatch(/^shop_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d\.dump$/);
    expect(companionKey).toBe(`${key}.sha256`);
    const before = await readdir(store);
    const sh = await cli(home, ['backup', '--db', 'shop', '--source', cluster.url, '--no-filestore', '--to', 'nas', '--format', 'dump', '--layout', 'odoo-backup-sh']);
    expect(sh.code).toBe(2);
    expect(sh.stderr).toContain('The odoo_backup_sh layout holds zip backups only.');
    expect(await readdir(store)).toEqual(before);
  });

  it('refuses a password in --source, and a storage that does not exist', async () => {
    const pw = await cli(home, ['backup', '--db', 'shop', '--source', 'postgres://u:secret@127.0.0.1/', '--to', 'nas']);
    expect(pw.code).toBe(2);
    expect(pw.stderr).toMatch(/must not contain a password/);
    const none = await cli(home, backupArgs('--to', 'nowhere'));
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no storage named "nowhere"/i);
  });

  it('refuses a --data-dir without the filestore the attachments point to (a typo), writing nothing; --no-filestore backs up the database only', async () => {
    const before = await readdir(store);
    const typo = await cli(home, ['backup', '--db', 'shop', '--source', cluster.url, '--data-dir', join(tmp, 'datta'), '--to', 'nas']);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain(`There is no filestore folder ${join(tmp, 'datta', 'filestore', 'shop')}, though the database's attachments point to 80 files in it`);
    expect(typo.stderr).toMatch(/hint: .*--data-dir.*--no-filestore/);
    expect(await readdir(store)).toEqual(before);
    const dbOnly = await cli(home, ['backup', '--db', 'shop', '--source', cluster.url, '--no-filestore', '--to', 'nas']);
    expect(dbOnly.code).toBe(0);
  });
});
