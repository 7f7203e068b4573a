/**
 * The leak test for `serve` (the face the browser UI and the desktop app's API share): secrets
 * go in through the HTTP API (storage secrets, a backup passphrase for download and inspect
 * jobs), then the job history (`jobs:list`, `jobs:get`), every API answer, the server's
 * stdout/stderr, the home folder and every argv are searched: zero hits.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFactories } from '../../../shared/core/storage/registry';
import { keyringAvailable, startKeyringSession, type KeyringSession } from '../../helpers/keyring-session';
import { manifestFor, writeZip } from '../../helpers/odoo-shaped-db';
import { buildCli, readTree, startCli, type BuiltCli } from './cli-runner';

const hasKeyring = await keyringAvailable();
const hasS3 = listFactories().some((f) => f.kind === 's3');

describe.skipIf(!hasKeyring)('no secret leaks through serve and its job history', () => {
  let session: KeyringSession;
  let cli: BuiltCli;
  let work: string;
  const s3Secret = `S3serve-${randomUUID()}`;
  const passphrase = `serve-pp-${randomUUID()}`;

  beforeAll(async () => {
    [session, cli] = await Promise.all([startKeyringSession(), buildCli()]);
    work = await mkdtemp(join(tmpdir(), 'bd-leak-serve-'));
  });
  afterAll(async () => {
    await cli?.dispose();
    await session?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('keeps secrets out of API answers, job history, output, files and argv', { timeout: 240_000 }, async () => {
    const files = join(work, 'backups');
    await mkdir(files, { recursive: true });
    const zip = join(work, 'plain.zip');
    await writeZip(zip, [
      { name: 'dump.sql', data: Buffer.from('SELECT 1;\n') },
      { name: 'manifest.json', data: Buffer.from(manifestFor('acme')) },
    ]);
    const armored = await openpgp.encrypt({ message: await openpgp.createMessage({ binary: await readFile(zip) }), passwords: [passphrase], format: 'armored' });
    await writeFile(join(files, 'acme.2024-01-02_03-04-05.zip.enc'), armored as string);
    await rm(zip);

    const home = join(work, 'home');
    const env: NodeJS.ProcessEnv = { ...process.env, ...session.env, HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1,localhost' };
    delete env.BACKUP_DESK_VAULT_PASSPHRASE_FILE;
    const srv = startCli(cli, ['--home', home, 'serve', '--port', '0'], { env });
    const answers: string[] = [];
    try {
      const url = new URL(await srv.firstLine);
      const token = new URLSearchParams(url.hash.slice(1)).get('token') as string;
      const call = async (method: string, args: unknown): Promise<unknown> => {
        const res = await fetch(`${url.origin}/api/${method}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(args) });
        const text = await res.text();
        answers.push(`${method}: ${text}`);
        return JSON.parse(text || 'null') as unknown;
      };
      // The API answers with the method's result as the JSON body.
      const unwrap = (v: unknown): Record<string, unknown> => v as Record<string, unknown>;

      await call('storages:add', { name: 'files', kind: 'local', settings: { path: files } });
      if (hasS3) {
        await call('storages:add', { name: 's3', kind: 's3', settings: { endpoint: 'http://127.0.0.1:9', bucket: 'serve-bucket', region: 'us-east-1', accessKeyId: 'AKIASERVE', forcePathStyle: true }, secrets: { secretAccessKey: s3Secret } });
        await call('storages:test', { name: 's3' });
      }
      await call('storages:list', {});
      await call('catalog:list', {});
      const ref = 'files:acme.2024-01-02_03-04-05.zip.enc';
      const inspected = unwrap(await call('backups:inspect', { source: ref, passphrase }));
      expect(inspected.database).toBe('acme');
      const out = join(work, 'out');
      await mkdir(out);
      const started = unwrap(await call('download:start', { ref, out: join(out, 'acme.zip'), decrypt: true, passphrase }));
      const wrong = unwrap(await call('download:start', { ref, out: join(out, 'wrong.zip'), decrypt: true, passphrase: 'not-it' }));
      for (const jobId of [started.jobId, wrong.jobId]) {
        for (let i = 0; i < 300; i++) {
          const snap = unwrap(await call('jobs:get', { jobId }));
          if (snap.state !== 'running') break;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      expect(unwrap(await call('jobs:get', { jobId: started.jobId })).state).toBe('succeeded');
      expect(unwrap(await call('jobs:get', { jobId: wrong.jobId })).state).toBe('failed');
      await call('jobs:list', {});
    } finally {
      const run = await srv.stop();
      if (process.env.LEAK_TEST_DEBUG) console.log([...answers, run.stderr].join('\n'));
      answers.push(`stdout: ${run.stdout}`, `stderr: ${run.stderr}`, ...run.argvs.map((a) => `argv: ${a}`));
      expect(run.argvs.length).toBeGreaterThan(0);
    }

    const hits: string[] = [];
    const needles = [s3Secret, passphrase, Buffer.from(passphrase).toString('base64').replace(/=+$/, ''), Buffer.from(s3Secret).toString('base64').replace(/=+$/, '')];
    for (const a of answers) for (const n of needles) if (a.includes(n)) hits.push(`${a.slice(0, 80)}…: ${n}`);
    for (const [path, bytes] of [...(await readTree(work)), ...(await readTree(session.home))]) {
      for (const n of needles) if (bytes.includes(Buffer.from(n)) || path.includes(n)) hits.push(`file ${path}: ${n}`);
    }
    expect(answers.some((a) => a.startsWith('jobs:list'))).toBe(true);
    expect(hits).toEqual([]);
  });
});
