/** `backup-desk verify` as a person runs it: a good backup passes (exit 0), a damaged one is named (exit 1), JSON on request. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli-process';
import { fixtureBackups } from '../../helpers/fixtures';

const zip = fixtureBackups().find((b) => b.file.endsWith('.zip'));

describe.runIf(zip !== undefined)('backup-desk verify', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'bd-cli-verify-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('passes a real Odoo backup, listing what it checked', async () => {
    const r = await runCli(join(tmp, 'home'), ['verify', zip!.file]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^OK: /);
    expect(r.stdout).toContain('ok   Every zip member read; CRC-32 and sizes match.');
    expect(r.stdout).toMatch(/ok {3}Database dump read to its end \(PostgreSQL \d+\.\d+\)/);
    const j = await runCli(join(tmp, 'home'), ['verify', zip!.file, '--json']);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: true, format: 'zip', problems: [] });
  });

  it('fails a file that is no backup with a clear error and exit 1', async () => {
    await writeFile(join(tmp, 'notes.zip'), 'not a zip\n');
    const r = await runCli(join(tmp, 'home'), ['verify', join(tmp, 'notes.zip')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('notes.zip is not a backup');
    expect(r.stderr).toMatch(/hint: Choose an Odoo backup/);
  });
});
