/**
 * `backup-desk daemon` as a real process (the built CLI): a job on a per-second schedule makes
 * real backups of a real PostgreSQL database + filestore into a local storage, back to back
 * (never two at once); SIGTERM in the middle of a backup cancels it, the daemon exits 0, and
 * `list` shows exactly the backups that completed — nothing half-written.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgCluster } from '../../helpers/pg-cluster';
import { removeShop, shopToBackUp } from '../../helpers/shop-to-back-up';
import { runCli, startCli, waitFor as waitUntil } from '../../helpers/cli-process';


const start = startCli;
const cli = runCli;
const waitFor = (cond: () => boolean): Promise<void> => waitUntil(cond, 120_000);

interface LogLine {
  event: string;
  job?: string;
  outcome?: string;
  trigger?: string;
  level: string;
}
const lines = (out: string): LogLine[] => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);

describe('backup-desk daemon (built CLI, real backups)', () => {
  let cluster: PgCluster;
  let tmp: string;
  let home: string;
  let store: string;
  let dataDir: string;

  beforeAll(async () => {
    ({ cluster, tmp, home, store, dataDir } = await shopToBackUp('bd-daemon-'));
  }, 300_000);
  afterAll(() => removeShop({ cluster, tmp }));

  it('makes backups on a per-second schedule, one at a time; SIGTERM mid-backup exits 0 and leaves nothing half-written listed', async () => {
    const add = await cli(home, ['schedule', 'add', 'every-second', '--every', '*:*:*', '--tz', 'UTC', '--db', 'shop', '--source', cluster.url, '--data-dir', dataDir, '--to', 'nas', '--layout', 'backup-desk']);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const d = start(home, ['daemon']);
    await waitFor(() => lines(d.stdout()).filter((l) => l.event === 'run-end' && l.outcome === 'ok').length >= 2);
    // the next backup starts at once (its second has passed); stop it in the middle
    const startsBefore = lines(d.stdout()).filter((l) => l.event === 'run-start').length;
    await waitFor(() => lines(d.stdout()).filter((l) => l.event === 'run-start').length > startsBefore);
    // early in the run (pg_dump is starting): a 40 MB backup can finish in under a second
    await new Promise((r) => setTimeout(r, 150));
    d.child.kill('SIGTERM');
    const r = await d.done;
    expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(0);
    const log = lines(r.stdout);
    expect(log[0]?.event).toBe('started');
    expect(log.at(-1)?.event).toBe('stopped');
    const ends = log.filter((l) => l.event === 'run-end');
    const ok = ends.filter((l) => l.outcome === 'ok').length;
    expect(ends.at(-1)?.outcome).toBe('cancelled');
    expect(ends.every((l) => l.outcome === 'ok' || l.outcome === 'cancelled')).toBe(true);
    // never two at once: starts and ends alternate
    const seq = log.filter((l) => l.event === 'run-start' || l.event === 'run-end').map((l) => l.event);
    expect(seq.every((e, i) => e === (i % 2 === 0 ? 'run-start' : 'run-end'))).toBe(true);
    const list = JSON.parse((await cli(home, ['list', '--json', '--all'])).stdout) as { ref: string; stray?: string }[];
    expect(list.filter((b) => b.stray !== undefined)).toEqual([]);
    expect(list).toHaveLength(ok);
    const files = await readdir(join(store, 'shop'));
    expect(files.filter((f) => !/^shop_\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.(zip|json)$/.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.zip'))).toHaveLength(ok);
    const hist = JSON.parse((await cli(home, ['history', '--json'])).stdout) as { kind: string; outcome: string }[];
    expect(hist[0]).toMatchObject({ kind: 'backup', outcome: 'cancelled' });
    expect(hist.filter((h) => h.kind === 'backup' && h.outcome === 'ok')).toHaveLength(ok);
    const st = JSON.parse((await cli(home, ['schedule', 'list', '--json'])).stdout) as { lastOutcome: string; running: boolean }[];
    expect(st[0]).toMatchObject({ lastOutcome: 'cancelled', running: false });
  });

  it('schedule add saves a job whose database is not there, and says at once that it will fail', async () => {
    const add = await cli(home, ['schedule', 'add', 'typo', '--every', 'yearly', '--tz', 'UTC', '--db', 'shpo', '--source', cluster.url, '--data-dir', dataDir, '--to', 'nas']);
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/^added typo: /);
    expect(add.stderr).toMatch(/^warning: .*database "shpo" does not exist: the job will fail until that database exists \(check its name\)\.$/m);
    expect((await cli(home, ['schedule', 'list'])).stdout).toMatch(/^typo /m);
    const removed = await cli(home, ['schedule', 'remove', 'typo']);
    expect(removed.code, removed.stderr).toBe(0);
    const noFolder = await cli(home, ['schedule', 'add', 'nofs', '--every', 'yearly', '--tz', 'UTC', '--db', 'shop', '--source', cluster.url, '--data-dir', join(dataDir, 'typo'), '--to', 'nas']);
    expect(noFolder.code).toBe(0);
    expect(noFolder.stderr).toBe(`warning: There is no filestore folder ${join(dataDir, 'typo', 'filestore', 'shop')}: unless the database keeps no files there, the job will fail (check the Odoo data dir, or back up the database only).\n`);
    expect((await cli(home, ['schedule', 'remove', 'nofs'])).code).toBe(0);
  });

  it('a scheduled backup that one of its storages did not get is a failed run, though the other holds it', async () => {
    const gone = join(tmp, 'gone-store');
    await mkdir(gone);
    expect((await cli(home, ['storage', 'add', 'gone', '--type', 'local', '--path', gone])).code).toBe(0);
    expect((await cli(home, ['schedule', 'add', 'two', '--every', 'yearly', '--tz', 'UTC', '--db', 'shop', '--source', cluster.url, '--data-dir', dataDir, '--to', 'nas', '--to', 'gone', '--layout', 'backup-desk'])).code).toBe(0);
    await rm(gone, { recursive: true });
    const ran = await cli(home, ['schedule', 'run', 'two']);
    expect(ran.code).toBe(1);
    expect(ran.stdout + ran.stderr).toMatch(/1 of 2 storages did not get the backup \(gone: .*\); it is on nas\./);
    const hist = JSON.parse((await cli(home, ['history', '--json'])).stdout) as Array<{ kind: string; outcome: string; refs: string[] }>;
    expect(hist[0]).toMatchObject({ kind: 'backup', outcome: 'failed', refs: [expect.stringMatching(/^nas:shop\/shop_.*\.zip$/)] });
    const status = (JSON.parse((await cli(home, ['schedule', 'list', '--json'])).stdout) as Array<{ name: string; lastOutcome: string | null }>).find((j) => j.name === 'two');
    expect(status?.lastOutcome).toBe('failed');
    expect((await cli(home, ['schedule', 'remove', 'two'])).code).toBe(0);
    expect((await cli(home, ['storage', 'remove', 'gone'])).code).toBe(0);
  });

  it('exits 0 at once on SIGTERM when idle', async () => {
    await cli(home, ['schedule', 'remove', 'every-second']);
    await cli(home, ['schedule', 'add', 'yearly', '--every', 'yearly', '--tz', 'UTC', '--db', 'shop', '--source', cluster.url, '--data-dir', dataDir, '--to', 'nas']);
    const d = start(home, ['daemon']);
    await waitFor(() => /"event":"started"/.test(d.stdout()));
    d.child.kill('SIGTERM');
    const r = await d.done;
    expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(0);
    expect(lines(r.stdout).map((l) => l.event).filter((e) => e !== 'next-run' && e !== 'overdue')).toEqual(['started', 'jobs', 'stopping', 'stopped']);
  });
});
