/**
 * The backups area service: a request that cannot work is refused before anything runs (no
 * stop command, no request to Odoo, nothing written).
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BackupService } from '../../../../shared/core/backup/service';
import { AppError } from '../../../../shared/core/errors';
import { RunHistory } from '../../../../shared/core/history/history';
import { JobManager } from '../../../../shared/core/jobs/job-manager';
import { LocalProvider } from '../../../../shared/core/storage/local';
import { nullLogger } from '../../../../shared/core/util/logger';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('BackupService', () => {
  it('refuses a cold backup through a running Odoo: stopping Odoo would take down the database manager it backs up from', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bd-backup-svc-'));
    dirs.push(dir);
    const odooBackup = vi.fn();
    const svc = new BackupService({ jobs: new JobManager(), history: new RunHistory(join(dir, 'history.jsonl')), log: nullLogger, provider: async () => new LocalProvider(dir), rememberedPassphrase: async () => undefined, odooBackup });
    const stopped = join(dir, 'stopped');
    const run = svc.start({ db: 'shop', source: { type: 'odoo', instance: 'prod' }, to: ['nas'], format: 'zip', rotate: false, cold: { stopCommand: `touch ${stopped}`, startCommand: 'true', cleanSessions: false } });
    const e = await run.result.catch((err: unknown) => err as AppError);
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).kind).toBe('InvalidInput');
    expect((e as AppError).message).toBe('A cold backup stops Odoo, and a backup through a running Odoo needs it running: its database manager makes the backup.');
    expect(odooBackup).not.toHaveBeenCalled();
    await expect(stat(stopped)).rejects.toThrow();
    expect((await readdir(dir)).filter((f) => f !== 'history.jsonl')).toEqual([]);
  });
});
