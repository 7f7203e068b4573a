/**
 * `backup-desk odoo` in-process, with scheduled jobs: an instance a scheduled backup goes through
 * cannot be removed from under it, and a job cannot be saved through an instance that does not exist.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../../../../shared/core/secrets/secret-store';
import { runCliInProcess } from '../../../helpers/cli-in-process';

let home: string;
const secrets = new MemorySecretStore();
const cli = (args: string[]) => runCliInProcess(home, args, { secrets, env: { PW: 'master' } });
const job = (name: string, source: string) => ['schedule', 'add', name, '--every', 'daily', '--db', 'shop', '--source', source, '--to', 'nas'];

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'bd-odoo-cli-'));
  await mkdir(join(home, 'store'));
  expect((await cli(['storage', 'add', 'nas', '--type', 'local', '--path', join(home, 'store')])).code).toBe(0);
  expect((await cli(['odoo', 'add', 'erp', '--url', 'http://127.0.0.1:1', '--secret-env', 'PW', '--no-check'])).code).toBe(0);
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

const saved = async (): Promise<string> => readFile(join(home, 'schedules.json'), 'utf8').catch(() => '');

describe('Odoo instances and scheduled jobs', () => {
  it('refuses a job through an instance that is not configured, naming the ones that are', async () => {
    const r = await cli(job('typo', 'odoo:erq'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('There is no Odoo instance named "erq".');
    expect(r.err).toContain('Configured: erp.');
    expect(await saved()).not.toContain('typo');
  });

  it('refuses to remove an instance a scheduled backup goes through, and removes it once the job is gone', async () => {
    const add = await cli(job('nightly', 'odoo:erp'));
    expect(add.code, add.err).toBe(0);
    const r = await cli(['odoo', 'remove', 'erp']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('Odoo instance "erp" is used by the scheduled job "nightly": removing it would make that job fail at every run.');
    expect(r.err).toMatch(/^hint: Remove or change that job first \(backup-desk schedule remove nightly.*\), then remove the instance\.$/m);
    expect((await cli(['odoo', 'list'])).out).toContain('erp');
    expect((await cli(['schedule', 'remove', 'nightly'])).code).toBe(0);
    expect((await cli(['odoo', 'remove', 'erp'])).code).toBe(0);
  });
});
