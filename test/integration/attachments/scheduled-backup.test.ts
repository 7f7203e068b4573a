/**
 * `--attachments include` in schedules, for real: a scheduled backup job of a database whose
 * attachments live in the S3 test server and the Swift fake stores the option, shows it, and its
 * run-now path (`schedule run`) produces a complete backup — every object in the archive,
 * inspect calls it self-contained — through the CLI in-process.
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScheduleStatus } from '../../../shared/contract/schedules';
import { MemorySecretStore } from '../../../shared/core/secrets/secret-store';
import { SWIFT_TEST_USER } from '../../helpers/fake-services/swift';
import { ATTACH_BUCKET, ATTACH_CONTAINER, OBJECT_STORAGE_FIXTURE, startObjectStorageWorld, type ObjectStorageWorld } from '../../helpers/object-storage-db';
import { runCliInProcess } from '../../helpers/cli-in-process';

let w: ObjectStorageWorld;
let home: string;
const secrets = new MemorySecretStore();

const cli = (...args: string[]) => runCliInProcess(home, args, { secrets, env: { S3_SECRET: w.s3.secretAccessKey, SWIFT_PW: SWIFT_TEST_USER.password } });

describe.skipIf(!OBJECT_STORAGE_FIXTURE)('scheduled backups with --attachments include', () => {
  beforeAll(async () => {
    w = await startObjectStorageWorld();
    home = join(w.work, 'sched-home');
    const out = await mkdtemp(join(w.work, 'sched-out-'));
    const add = [
      ['storage', 'add', 'prod-s3', '--type', 's3', '--endpoint', w.s3.endpoint, '--bucket', ATTACH_BUCKET, '--force-path-style', '--access-key-id', w.s3.accessKeyId, '--secret-env', 'secretAccessKey=S3_SECRET'],
      ['storage', 'add', 'prod-swift', '--type', 'swift', '--auth-url', `${w.swift.url}/v3`, '--username', SWIFT_TEST_USER.username, '--project-name', SWIFT_TEST_USER.projectName, '--container', ATTACH_CONTAINER, '--secret-env', 'password=SWIFT_PW'],
      ['storage', 'add', 'out', '--type', 'local', '--path', out],
    ];
    for (const a of add) expect((await cli(...a)).code).toBe(0);
  }, 180_000);
  afterAll(async () => {
    await w?.stop();
  });

  it('refuses the option where a backup could not carry the objects', async () => {
    const r = await cli('schedule', 'add', 'bad', '--db', w.db, '--source', w.cluster.url, '--to', 'out', '--format', 'dump', '--attachments', 'include', '--every', 'daily');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/needs a zip backup of a PostgreSQL database with its filestore/);
    expect((await cli('schedule', 'add', 'bad', '--db', w.db, '--source', w.cluster.url, '--to', 'out', '--attachments-storage', 'prod-s3', '--every', 'daily')).code).toBe(2);
  });

  it('stores and shows the option, and a run now makes a complete backup', async () => {
    const add = await cli('schedule', 'add', 'nightly', '--db', w.db, '--source', w.cluster.url, '--data-dir', w.dataDir, '--to', 'out', '--layout', 'odoo-manager', '--attachments', 'include', '--every', '02:00', '--tz', 'UTC');
    expect(add.err).toBe('');
    expect(add.code).toBe(0);
    const listed = JSON.parse((await cli('schedule', 'list', '--json')).out) as ScheduleStatus[];
    expect(listed[0]?.work).toMatchObject({ kind: 'backup', attachments: 'include' });
    expect((await cli('schedule', 'list')).out).toMatch(/nightly +backup objsrc → out \(with its attachments from S3\/Swift\)/);

    const ran = await cli('schedule', 'run', 'nightly');
    expect(ran.err).not.toMatch(/error/i);
    expect(ran.out).toContain('nightly: ok');
    const hist = JSON.parse((await cli('history', '--json')).out) as Array<{ kind: string; outcome: string; refs: string[]; details: { verification?: string; warnings?: string[]; schedule?: string } }>;
    const backup = hist.find((h) => h.kind === 'backup');
    expect(backup).toMatchObject({ outcome: 'ok', details: { verification: 'complete' } });
    const ref = backup!.refs[0]!;
    expect(ran.out).toContain(`nightly: ok — ${ref}`); // the run says what it made
    const inspected = JSON.parse((await cli('inspect', ref, '--json')).out) as { attachments: { selfContained: boolean; remote: { objects: number; missingFromBackup: number } } };
    expect(inspected.attachments).toMatchObject({ selfContained: true, remote: { objects: 10, missingFromBackup: 0 } });
    const catalog = JSON.parse((await cli('list', '--json')).out) as Array<{ ref: string; selfContained?: boolean }>;
    expect(catalog.find((b) => b.ref === ref)?.selfContained).toBe(true);
  }, 300_000);
});
