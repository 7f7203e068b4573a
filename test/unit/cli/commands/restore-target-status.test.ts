/**
 * CLI: `restore --target` refuses a URL with a password (usage error, exit 2, libpq hint, the
 * password echoed nowhere); `storage list` shows an OAuth storage's status
 * (needs-secret / needs-reconnect / ok) with a reconnect hint.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The CLI program first: commands/restore is part of an import cycle that cli.ts resolves.
import { runCliInProcess } from '../../../helpers/cli-in-process';
import { urlHasPassword } from '../../../../shared/cli/commands/restore';
import { markNeedsReconnect } from '../../../../shared/core/auth/connection-status';
import { MemorySecretStore } from '../../../../shared/core/secrets/secret-store';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'bd-cli-target-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function cli(args: string[], opts: { secrets?: MemorySecretStore; home?: string } = {}) {
  const home = opts.home ?? (await mkdtemp(join(tmp, 'h-')));
  return { ...(await runCliInProcess(home, args, opts)), home };
}

describe('restore --target with a password', () => {
  it('urlHasPassword finds a password in parseable and odd URLs only', () => {
    expect(urlHasPassword('postgres://odoo:hunter2@db.example:5432/postgres')).toBe(true);
    expect(urlHasPassword('postgresql://odoo:p%40ss@localhost/postgres')).toBe(true);
    expect(urlHasPassword('postgres://odoo:@localhost/postgres')).toBe(false);
    expect(urlHasPassword('postgres://odoo@localhost:5432/postgres')).toBe(false);
    expect(urlHasPassword('postgres://localhost/postgres')).toBe(false);
    expect(urlHasPassword('postgres://u:a b@host/db')).toBe(true);
  });

  it('is a usage error (exit 2) whose hint names PGPASSWORD, PGPASSFILE and ~/.pgpass, and never echoes the password', async () => {
    const r = await cli(['restore', join(tmp, 'any.dump'), '--db', 'copy1', '--target', 'postgres://odoo:hunter2@127.0.0.1:5432/postgres']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/must not contain a password/);
    expect(r.err).toMatch(/PGPASSWORD/);
    expect(r.err).toMatch(/PGPASSFILE/);
    expect(r.err).toContain('~/.pgpass');
    expect(r.out + r.err).not.toContain('hunter2');
  });
});

describe('storage list status', () => {
  it('shows needs-secret, then needs-reconnect with a hint, then ok for an OAuth storage', async () => {
    const secrets = new MemorySecretStore();
    const home = await mkdtemp(join(tmp, 'h-'));
    expect((await cli(['storage', 'add', 'dbx', '--type', 'dropbox', '--client-id', 'app-key'], { secrets, home })).code).toBe(0);
    const notConnected = await cli(['storage', 'list'], { secrets, home });
    expect(notConnected.out).toMatch(/dbx\s+dropbox\s+.*needs-secret/);

    const scope = (JSON.parse(await readFile(join(home, 'config.json'), 'utf8')) as { storages: { secretScope: string }[] }).storages[0]!.secretScope;
    await secrets.set(scope, 'refreshToken', 'r-token');
    expect((await cli(['storage', 'list'], { secrets, home })).out).toMatch(/dbx\s+dropbox\s+.*\bok\b/);

    await markNeedsReconnect(home, 'dbx', 'revoked');
    const revoked = await cli(['storage', 'list'], { secrets, home });
    expect(revoked.code).toBe(0);
    expect(revoked.out).toMatch(/dbx\s+dropbox\s+.*needs-reconnect/);
    expect(revoked.err).toContain('backup-desk storage connect dbx');
  });
});
