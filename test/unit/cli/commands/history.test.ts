/**
 * CLI `history`: lists what the run history holds (table and `--json`), filters by db and kind,
 * refuses an unknown kind; a restore through the Desk is recorded (here one that fails: the
 * successful one is in test/integration/cli/cli.test.ts).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../../shared/core/errors';
import { Desk } from '../../../../shared/core/desk/open-desk';
import { RunHistory } from '../../../../shared/core/history';
import { MemorySecretStore } from '../../../../shared/core/secrets/secret-store';
import { runCliInProcess } from '../../../helpers/cli-in-process';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'bd-cli-history-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const cli = (home: string, args: string[]) => runCliInProcess(home, args);

describe('backup-desk history', () => {
  it('prints the runs as a table and as JSON, newest first, filtered by --db and --kind', async () => {
    const home = await mkdtemp(join(tmp, 'h-'));
    const h = RunHistory.forHome(home);
    await h.record({ kind: 'backup', db: 'prod', outcome: 'ok', bytes: 2048, refs: ['s3:prod.2026-01-01_00-00-00.zip'], destinations: ['s3'], startedAt: new Date('2026-01-01T00:00:00Z'), endedAt: new Date('2026-01-01T00:01:05Z') });
    await h.record({ kind: 'rotation', db: 'prod', outcome: 'failed', error: new AppError('Transient', 'S3 timed out'), startedAt: new Date('2026-01-02T00:00:00Z'), endedAt: new Date('2026-01-02T00:00:01Z') });
    await h.record({ kind: 'restore', db: 'test', outcome: 'cancelled', error: new AppError('Cancelled', 'The restore was cancelled.'), startedAt: new Date('2026-01-03T00:00:00Z'), endedAt: new Date('2026-01-03T00:00:01Z') });

    const json = await cli(home, ['history', '--json']);
    expect(json.code).toBe(0);
    const runs = JSON.parse(json.out) as Record<string, unknown>[];
    expect(runs.map((r) => r.kind)).toEqual(['restore', 'rotation', 'backup']);
    expect(runs[2]).toMatchObject({ kind: 'backup', db: 'prod', startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:01:05.000Z', outcome: 'ok', bytes: 2048, refs: ['s3:prod.2026-01-01_00-00-00.zip'], error: null, durationMs: 65_000 });
    for (const r of runs) for (const k of ['kind', 'db', 'startedAt', 'endedAt', 'outcome', 'bytes', 'refs', 'error']) expect(r, k).toHaveProperty(k);

    const prod = JSON.parse((await cli(home, ['history', '--db', 'prod', '--json'])).out) as { kind: string }[];
    expect(prod.map((r) => r.kind)).toEqual(['rotation', 'backup']);
    const rot = JSON.parse((await cli(home, ['history', '--kind', 'rotation', '--json'])).out) as { error: { message: string } }[];
    expect(rot).toHaveLength(1);
    expect(rot[0]!.error.message).toBe('S3 timed out');

    const text = await cli(home, ['history']);
    expect(text.out.split('\n')[0]).toMatch(/^STARTED\s+KIND\s+DATABASE\s+OUTCOME/);
    expect(text.out).toMatch(/2026-01-01 00:00:00Z\s+backup\s+prod\s+ok\s+2\.0 kB\s+1:05\s+s3:prod\.2026-01-01_00-00-00\.zip/);
    expect(text.out).toMatch(/rotation\s+prod\s+failed.*S3 timed out/);
    expect(text.out).toMatch(/restore\s+test\s+cancelled/);
    expect(text.out).not.toContain('was cancelled'); // the outcome says it
  });

  it('says so when nothing was recorded, and refuses an unknown --kind (exit 2)', async () => {
    const home = await mkdtemp(join(tmp, 'h-'));
    const empty = await cli(home, ['history']);
    expect(empty.code).toBe(0);
    expect(empty.err).toMatch(/no runs recorded yet/);
    expect((await cli(home, ['history', '--db', 'nodb', '--kind', 'backup'])).err).toMatch(/^no runs of database nodb of kind backup recorded$/m);
    expect((await cli(home, ['history', '--json'])).out.trim()).toBe('[]');
    const bad = await cli(home, ['history', '--kind', 'backups']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/Unknown --kind "backups"/);
  });

  it('records a restore started through the Desk, with its outcome and error', async () => {
    const home = await mkdtemp(join(tmp, 'h-'));
    const file = join(tmp, 'not-a-backup.zip');
    await writeFile(file, 'this is not a zip');
    const desk = await Desk.open({ home, secrets: new MemorySecretStore() });
    const job = desk.startRestore({ source: file, db: 'copy1', target: { type: 'postgres', url: 'postgres://odoo@127.0.0.1:1/postgres' } });
    await expect(job.result).rejects.toBeTruthy();
    await desk.close();
    const runs = JSON.parse((await cli(home, ['history', '--json'])).out) as Record<string, unknown>[];
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ kind: 'restore', db: 'copy1', outcome: 'failed', refs: [file], destinations: ['postgres://odoo@127.0.0.1:1/postgres'], error: { kind: expect.any(String), message: expect.any(String) } });
  });

  it('records a restore into the libpq environment with the server it names', async () => {
    const home = await mkdtemp(join(tmp, 'h-'));
    const file = join(tmp, 'not-a-backup-either.zip');
    await writeFile(file, 'this is not a zip');
    const saved = { host: process.env.PGHOST, port: process.env.PGPORT };
    process.env.PGHOST = '127.0.0.1';
    process.env.PGPORT = '1';
    try {
      const desk = await Desk.open({ home, secrets: new MemorySecretStore() });
      await expect(desk.startRestore({ source: file, db: 'copy2', target: { type: 'postgres' } }).result).rejects.toBeTruthy();
      await desk.close();
    } finally {
      for (const [k, v] of [['PGHOST', saved.host], ['PGPORT', saved.port]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    const runs = JSON.parse((await cli(home, ['history', '--json'])).out) as Record<string, unknown>[];
    expect(runs[0]).toMatchObject({ kind: 'restore', db: 'copy2', destinations: ['libpq environment (127.0.0.1:1)'] });
  });
});
