import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Desk } from '../../../../shared/core/desk/open-desk';
import { SECRET_NAMES } from '../../../../shared/core/secrets/names';
import { MemorySecretStore } from '../../../../shared/core/secrets/secret-store';
import { openSecretStore } from '../../../../shared/core/secrets';
import { gpgEncryptSymmetric, gpgEncryptTo, gpgGenKey, makeGpgHome, writeTinyZip, type GpgHome } from '../../../helpers/gpg';

let tmp: string;
let data: string;
let gpg: GpgHome;
let plainZip: Buffer;
const NAME = 'acme_2024-01-01_00-00-00.zip';
const REF = `nas:${NAME}.gpg`;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'bd-desk-pw-'));
  data = join(tmp, 'data');
  await mkdir(data);
  gpg = await makeGpgHome();
  await writeTinyZip(join(tmp, NAME), { 'dump.sql': '-- x\n', 'manifest.json': '{"db_name":"acme","version":"16.0"}' });
  plainZip = await readFile(join(tmp, NAME));
  await gpgEncryptSymmetric(gpg, join(tmp, NAME), join(data, `${NAME}.gpg`), 'correct horse');
}, 60_000);
afterAll(async () => {
  await gpg?.close();
  await rm(tmp, { recursive: true, force: true });
});

const setup = async (): Promise<{ desk: Desk; secrets: MemorySecretStore; scope: string }> => {
  const secrets = new MemorySecretStore();
  const desk = await Desk.open({ home: await mkdtemp(join(tmp, 'home-')), secrets });
  await desk['storages:add']({ name: 'nas', kind: 'local', settings: { path: data } });
  const scope = (await desk.storageEntry('nas')).secretScope;
  return { desk, secrets, scope };
};

const download = async (desk: Desk, args: { passphrase?: string; rememberPassphrase?: boolean }): Promise<{ path: string }> => {
  const out = join(await mkdtemp(join(tmp, 'out-')), NAME);
  const { jobId } = await desk['download:start']({ ref: REF, out, decrypt: true, ...args });
  let job = desk.jobs.get(jobId)!;
  while (job.state === 'running') {
    await new Promise((r) => setTimeout(r, 20));
    job = desk.jobs.get(jobId)!;
  }
  if (job.state !== 'succeeded') throw Object.assign(new Error(job.error?.message), job.error);
  return { path: out };
};

describe('Desk: remembered backup passphrases', () => {
  it('remembers a passphrase only after it opened the backup, uses it, forgets it, and drops it with the storage', async () => {
    const { desk, secrets, scope } = await setup();
    try {
      // Wrong passphrase + remember: the download fails and nothing is stored.
      await expect(download(desk, { passphrase: 'wrong', rememberPassphrase: true })).rejects.toMatchObject({ kind: 'AuthFailed' });
      expect(await secrets.get(scope, SECRET_NAMES.backupPassphrase)).toBeUndefined();
      // Without a passphrase and none remembered: refused up front.
      await expect(desk['download:start']({ ref: REF, out: join(tmp, 'x.zip'), decrypt: true })).rejects.toMatchObject({ kind: 'InvalidInput' });

      // Right passphrase without remember: not stored either.
      await download(desk, { passphrase: 'correct horse' });
      expect(await secrets.get(scope, SECRET_NAMES.backupPassphrase)).toBeUndefined();
      expect(await desk['storages:passphrase-remembered']({ name: 'nas' })).toEqual({ remembered: false });

      // Right passphrase + remember: stored under the storage's scope.
      const first = await download(desk, { passphrase: 'correct horse', rememberPassphrase: true });
      expect((await readFile(first.path)).equals(plainZip)).toBe(true);
      expect(await secrets.get(scope, SECRET_NAMES.backupPassphrase)).toBe('correct horse');
      expect(await desk['storages:passphrase-remembered']({ name: 'nas' })).toEqual({ remembered: true });

      // Next download, no passphrase: the remembered one decrypts it.
      const second = await download(desk, {});
      expect((await readFile(second.path)).equals(plainZip)).toBe(true);
      // Inspect uses it too.
      const info = await desk['backups:inspect']({ source: REF });
      expect(info).toMatchObject({ encrypted: true, database: 'acme' });

      // Forget: gone; a second forget reports nothing was there.
      expect(await desk['storages:forget-passphrase']({ name: 'nas' })).toEqual({ forgotten: true });
      expect(await secrets.get(scope, SECRET_NAMES.backupPassphrase)).toBeUndefined();
      expect(await desk['storages:forget-passphrase']({ name: 'nas' })).toEqual({ forgotten: false });
      await expect(desk['storages:forget-passphrase']({ name: 'nope' })).rejects.toMatchObject({ kind: 'NotFound' });

      // Remembered through inspect, then removed with the storage (its whole secret scope goes).
      await desk['backups:inspect']({ source: REF, passphrase: 'correct horse', rememberPassphrase: true });
      expect(await secrets.get(scope, SECRET_NAMES.backupPassphrase)).toBe('correct horse');
      await desk['storages:remove']({ name: 'nas' });
      expect(await secrets.get(scope, SECRET_NAMES.backupPassphrase)).toBeUndefined();
    } finally {
      await desk.close();
    }
  }, 60_000);

  it('never remembers a passphrase given for a backup that is not encrypted (it opened nothing), and says so', async () => {
    const { desk, secrets, scope } = await setup();
    try {
      await writeFile(join(data, 'plain_2024-01-01_00-00-00.zip'), plainZip);
      const out = join(await mkdtemp(join(tmp, 'out-')), 'plain.zip');
      const dl = await desk.startDownload({ ref: 'nas:plain_2024-01-01_00-00-00.zip', out, decrypt: { passphrase: 'not a passphrase' }, rememberPassphrase: true }).result;
      expect(dl).toMatchObject({ decrypted: false, passphraseNotRemembered: 'The backup is not encrypted, so the passphrase was not remembered for storage "nas".' });
      const v = await desk.verify.startVerify({ source: 'nas:plain_2024-01-01_00-00-00.zip', passphrase: 'not a passphrase', rememberPassphrase: true }).result;
      expect(v.encrypted).toBe(false);
      expect(await secrets.get(scope, SECRET_NAMES.backupPassphrase)).toBeUndefined();
    } finally {
      await rm(join(data, 'plain_2024-01-01_00-00-00.zip'), { force: true });
      await desk.close();
    }
  });

  it('a remembered passphrase that is wrong fails as AuthFailed saying so and how to replace or forget it', async () => {
    const { desk, secrets, scope } = await setup();
    try {
      await secrets.set(scope, SECRET_NAMES.backupPassphrase, 'stale');
      const hint = expect.stringContaining('storage forget-passphrase nas');
      await expect(download(desk, {})).rejects.toMatchObject({ kind: 'AuthFailed', message: expect.stringContaining('remembered'), hint });
      await expect(desk['backups:inspect']({ source: REF })).rejects.toMatchObject({ kind: 'AuthFailed', hint });
      // A given passphrase wins over the remembered one, and replaces it when asked to.
      await download(desk, { passphrase: 'correct horse', rememberPassphrase: true });
      expect(await secrets.get(scope, SECRET_NAMES.backupPassphrase)).toBe('correct horse');
      // Remembering needs a configured storage.
      await expect(desk['backups:inspect']({ source: join(data, `${NAME}.gpg`), passphrase: 'correct horse', rememberPassphrase: true })).rejects.toMatchObject({
        kind: 'InvalidInput',
      });
    } finally {
      await desk.close();
    }
  }, 60_000);

  it('inspect opens a backup encrypted to a public key with the private key given for that call, and remembers nothing', async () => {
    const { desk, secrets, scope } = await setup();
    const keyed = 'acme_2024-02-01_00-00-00.zip.gpg';
    try {
      const key = await gpgGenKey(gpg, 'ops@example.com', 'key pass');
      await gpgEncryptTo(gpg, join(tmp, NAME), join(data, keyed), [key.fingerprint]);
      await expect(desk['backups:inspect']({ source: `nas:${keyed}`, privateKey: { armored: key.armoredSecret, passphrase: 'wrong' } })).rejects.toMatchObject({ kind: 'AuthFailed' });
      const info = await desk['backups:inspect']({ source: `nas:${keyed}`, privateKey: { armored: key.armoredSecret, passphrase: 'key pass' } });
      expect(info).toMatchObject({ encrypted: true, database: 'acme', odooVersion: '16.0' });
      expect(await secrets.get(scope, SECRET_NAMES.backupPassphrase)).toBeUndefined();
    } finally {
      await rm(join(data, keyed), { force: true });
      await desk.close();
    }
  }, 60_000);
});

describe('remember passphrase without a keychain', () => {
  it('says so with the result, where the person asked, and offers the vault (inspect and download)', async () => {
    const bus = process.env.DBUS_SESSION_BUS_ADDRESS;
    process.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${join(tmp, 'no-bus')}`; // no Secret Service: the real keychain probe fails
    try {
      const home = await mkdtemp(join(tmp, 'home-nokeychain-'));
      const desk = await Desk.open({ home, openSecrets: (h) => openSecretStore(h, { env: {} }) });
      try {
        await desk['storages:add']({ name: 'nas', kind: 'local', settings: { path: data } });
        const r = await desk['backups:inspect']({ source: REF, passphrase: 'correct horse', rememberPassphrase: true });
        expect(r.odooVersion).toBe('16.0');
        expect(r.warnings?.[0]).toMatch(/^The passphrase opened the backup but was not remembered for storage "nas": .*backup-desk secrets vault init/);
        const job = desk.startDownload({ ref: REF, out: join(await mkdtemp(join(tmp, 'out-')), NAME), decrypt: { passphrase: 'correct horse' }, rememberPassphrase: true });
        const done = (await job.result) as { passphraseNotRemembered?: string };
        expect(done.passphraseNotRemembered).toMatch(/was not remembered for storage "nas".*secrets vault init/);
      } finally {
        await desk.close();
      }
    } finally {
      if (bus === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
      else process.env.DBUS_SESSION_BUS_ADDRESS = bus;
    }
  });
});
