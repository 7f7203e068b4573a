/**
 * Restore drills for real, through the CLI in-process: the newest backup of a database on a
 * local storage (the real acme_small_zip fixture) is restored into the private PostgreSQL,
 * checked and dropped, and the drill is in the history; the same backup with one referenced
 * filestore file taken out fails the filestore check. Also a drill as a scheduled job:
 * `schedule add --drill`, `schedule list`, `schedule run`, `schedule remove`.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrillResult, ScheduleStatus } from '../../../shared/contract/schedules';
import { connect } from '../../../shared/core/pg/connection';
import { EmbeddedPg, findServerBinaries } from '../../../shared/core/pg/embedded';
import { MemorySecretStore } from '../../../shared/core/secrets/secret-store';
import { fixtureDirWith } from '../../helpers/fixtures';
import { gpgEncryptSymmetric, makeGpgHome } from '../../helpers/gpg';
import { runCliInProcess } from '../../helpers/cli-in-process';

const run = promisify(execFile);
const fixtureDir = fixtureDirWith('acme_small_zip.zip');
const hasServer = (await findServerBinaries()) !== undefined;

let tmp: string;
let home: string;
let good: string;
let broken: string;
let removedFile: string;
let encrypted: string;
const ENC_PW = 'drill passphrase 7';
const secrets = new MemorySecretStore();

beforeAll(async () => {
  if (!fixtureDir || !hasServer) return;
  tmp = await mkdtemp(join(tmpdir(), 'bd-drill-'));
  home = join(tmp, 'home');
  good = join(tmp, 'good');
  broken = join(tmp, 'broken');
  await mkdir(good);
  await mkdir(broken);
  await copyFile(join(fixtureDir, 'acme_small_zip.zip'), join(good, 'acme_small_2026-11-23_12-30-00.zip'));
  const expected = JSON.parse(await readFile(join(fixtureDir, 'acme_small_zip.expected.json'), 'utf8')) as { ir_attachment: { referenced_files: Record<string, unknown> } };
  removedFile = Object.keys(expected.ir_attachment.referenced_files)[0] as string;
  const target = join(broken, 'acme_small_2026-11-24_12-30-00.zip');
  await copyFile(join(fixtureDir, 'acme_small_zip.zip'), target);
  await run('zip', ['-q', '-d', target, `filestore/${removedFile}`]);
  encrypted = join(tmp, 'encrypted');
  await mkdir(encrypted);
  const gpg = await makeGpgHome();
  try {
    await gpgEncryptSymmetric(gpg, join(fixtureDir, 'acme_small_zip.zip'), join(encrypted, 'acme_small_2026-11-25_12-30-00.zip.gpg'), ENC_PW);
  } finally {
    await gpg.close();
  }
});
afterAll(async () => {
  if (!tmp) return;
  await new EmbeddedPg({ home }).destroy().catch(() => undefined);
  await rm(tmp, { recursive: true, force: true });
});

const cli = (args: string[]) => runCliInProcess(home, args, { secrets });

/** The embedded server's databases (started by the drills; started again here to look). */
async function embeddedDatabases(): Promise<string[]> {
  const pg = new EmbeddedPg({ home });
  const info = await pg.start();
  const c = await connect(info.pgUrl, 'postgres');
  try {
    return (await c.query<{ datname: string }>('SELECT datname FROM pg_database')).rows.map((r) => r.datname);
  } finally {
    await c.end();
    await pg.stop();
  }
}

describe.skipIf(!fixtureDir || !hasServer)('restore drills', () => {
  it('passes on a real Odoo 16 backup, with timings, recorded in the history, and drops its database', async () => {
    expect((await cli(['storage', 'add', 'good', '--type', 'local', '--path', good])).code).toBe(0);
    const r = await cli(['drill', '--storage', 'good', '--db', 'acme_small', '--json']);
    expect(r.err).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.out) as DrillResult;
    expect(res.ok).toBe(true);
    expect(res.ref).toBe('good:acme_small_2026-11-23_12-30-00.zip');
    expect(res.checks.map((c) => [c.name, c.ok])).toEqual([['modules', true], ['admin-user', true], ['filestore', true]]);
    expect(res.checks[1]?.message).toContain('"admin"');
    expect(res.checks[2]?.message).toMatch(/^204 filestore attachments present/);
    expect(res.timings.restoreMs).toBeGreaterThan(0);
    expect(res.timings.totalMs).toBeGreaterThanOrEqual(res.timings.restoreMs + res.timings.checkMs);
    const hist = JSON.parse((await cli(['history', '--json'])).out) as { kind: string; outcome: string; refs: string[]; details: { restoredAs?: string } }[];
    const drill = hist.find((h) => h.kind === 'drill');
    expect(drill).toMatchObject({ outcome: 'ok', refs: [res.ref] });
    expect(drill?.details.restoredAs).toBe(res.restoredAs);
    expect(await embeddedDatabases()).not.toContain(res.restoredAs);
  });

  it('fails when the backup lacks a referenced filestore file, naming it, and exits 1', async () => {
    expect((await cli(['storage', 'add', 'broken', '--type', 'local', '--path', broken])).code).toBe(0);
    const r = await cli(['drill', '--storage', 'broken', '--db', 'acme_small']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^FAILED: restore drill of broken:acme_small_2026-11-24_12-30-00\.zip/);
    expect(r.out).toMatch(/FAIL filestore: \d+ of 204 filestore attachments are missing or differ/);
    expect(r.out).toContain(`(${removedFile}): missing`);
    expect(r.out).toMatch(/ok {3}modules/);
    const hist = JSON.parse((await cli(['history', '--json'])).out) as { kind: string; outcome: string; error: { message: string } | null }[];
    expect(hist[0]).toMatchObject({ kind: 'drill', outcome: 'failed' });
    expect(hist[0]?.error?.message).toContain('filestore attachments are missing');
  });

  it("passes a .dump backup, saying its filestore is not part of it instead of failing on every attachment", async () => {
    const dumpFile = fixtureDirWith('acme_small_dump.dump');
    if (!dumpFile) return;
    const dumps = join(tmp, 'dumps');
    await mkdir(dumps);
    await copyFile(join(dumpFile, 'acme_small_dump.dump'), join(dumps, 'acme_small_2026-11-26_12-30-00.dump'));
    expect((await cli(['storage', 'add', 'dumps', '--type', 'local', '--path', dumps])).code).toBe(0);
    const r = await cli(['drill', '--storage', 'dumps', '--db', 'acme_small', '--json']);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.out) as DrillResult;
    expect(res.checks.map((c) => [c.name, c.ok])).toEqual([['modules', true], ['admin-user', true], ['filestore', true]]);
    expect(res.checks[2]?.message).toBe('not part of this backup, which holds the database only (a .dump, an SQL dump or a zip made without it): the files of 204 attachments are not in it');
  });

  it('passes a zip made without its filestore (backup --no-filestore) the same way', async () => {
    const dbOnly = join(tmp, 'db-only');
    await mkdir(dbOnly);
    const zip = join(dbOnly, 'acme_small_2026-11-27_12-30-00.zip');
    await copyFile(join(fixtureDir!, 'acme_small_zip.zip'), zip);
    await run('zip', ['-q', '-d', zip, 'filestore/*']);
    expect((await cli(['storage', 'add', 'dbonly', '--type', 'local', '--path', dbOnly])).code).toBe(0);
    const r = await cli(['drill', '--storage', 'dbonly', '--db', 'acme_small', '--json']);
    expect(r.code, r.err).toBe(0);
    const res = JSON.parse(r.out) as DrillResult;
    expect(res.checks.map((c) => [c.name, c.ok])).toEqual([['modules', true], ['admin-user', true], ['filestore', true]]);
    expect(res.checks[2]?.message).toMatch(/^not part of this backup, which holds the database only .*: the files of 204 attachments are not in it$/);
  });

  it('drills an encrypted backup with the passphrase given (or says it needs one); a scheduled drill uses the passphrase of the scheduled backup job that writes it', async () => {
    expect((await cli(['storage', 'add', 'enc', '--type', 'local', '--path', encrypted])).code).toBe(0);
    const none = await cli(['drill', '--storage', 'enc', '--db', 'acme_small']);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/encrypted .*a passphrase is needed/);
    const pwFile = join(tmp, 'enc-pw');
    await writeFile(pwFile, `${ENC_PW}\n`, { mode: 0o600 });
    const given = await cli(['drill', '--storage', 'enc', '--db', 'acme_small', '--passphrase-file', pwFile]);
    expect(given.err).not.toMatch(/error/i);
    expect(given.out).toMatch(/^PASSED: restore drill of enc:acme_small_2026-11-25_12-30-00\.zip\.gpg/);
    expect(given.code).toBe(0);
    // Nothing remembered for the storage: a scheduled drill finds the passphrase of the job that writes these backups.
    const job = await cli(['schedule', 'add', 'nightly', '--db', 'acme_small', '--source', 'postgres://odoo@db.invalid/', '--to', 'enc', '--encrypt', '--passphrase-file', pwFile, '--every', 'daily', '--disabled']);
    expect(job.code, job.err).toBe(0);
    expect((await cli(['schedule', 'add', 'enc-drill', '--drill', '--storage', 'enc', '--db', 'acme_small', '--every', 'Sun 05:00'])).code).toBe(0);
    const ran = await cli(['schedule', 'run', 'enc-drill']);
    expect(ran.out + ran.err).toContain('enc-drill: ok');
    expect(ran.code).toBe(0);
    for (const name of ['nightly', 'enc-drill']) expect((await cli(['schedule', 'remove', name])).code).toBe(0);
  });

  it('runs as a scheduled job: add --drill, list, run, remove', async () => {
    const add = await cli(['schedule', 'add', 'weekly-drill', '--drill', '--storage', 'good', '--db', 'acme_small', '--every', 'Sun 05:00', '--tz', 'Europe/Berlin']);
    expect(add.err).toBe('');
    expect(add.out).toMatch(/^added weekly-drill: Sundays at 05:00 \(Europe\/Berlin time\); next run \d{4}-/);
    const ran = await cli(['schedule', 'run', 'weekly-drill']);
    expect(ran.out).toContain('weekly-drill: ok');
    expect(ran.code).toBe(0);
    const list = JSON.parse((await cli(['schedule', 'list', '--json'])).out) as ScheduleStatus[];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ name: 'weekly-drill', lastOutcome: 'ok', running: false, overdueSince: null, every: 'Sun 05:00', tz: 'Europe/Berlin' });
    const plain = await cli(['schedule', 'list']);
    expect(plain.out).toMatch(/weekly-drill +drill acme_small on good +Sun 05:00 +\d{4}-\d\d-\d\d \d\d:\d\dZ +ok \d{4}/);
    const hist = JSON.parse((await cli(['history', '--json'])).out) as { kind: string; details: { schedule?: string } }[];
    expect(hist[0]).toMatchObject({ kind: 'drill', details: { schedule: 'weekly-drill' } });
    expect((await cli(['schedule', 'remove', 'weekly-drill'])).out).toBe('removed weekly-drill\n');
    expect((await cli(['schedule', 'remove', 'weekly-drill'])).code).toBe(1);
    expect(JSON.parse((await cli(['schedule', 'list', '--json'])).out)).toEqual([]);
  });
});
