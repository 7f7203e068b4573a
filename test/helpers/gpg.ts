/**
 * Test helpers around the real `gpg` binary: a throwaway GNUPGHOME, symmetric and public-key
 * encryption/decryption, key generation, and an odoo_backup_sh-style `.zip.enc` + `.info`
 * pair generator. Passphrases always go through stdin (`--passphrase-fd 0`), never argv.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

/** The result of one gpg run. */
export interface GpgResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** A throwaway gpg home directory. */
export interface GpgHome {
  readonly dir: string;
  /** Runs gpg with `--batch --no-tty` in this home, `stdin` fed to fd 0. Does not throw on a non-zero exit. */
  run(args: string[], stdin?: string | Buffer): Promise<GpgResult>;
  /** Like `run`, but throws with gpg's stderr on a non-zero exit. */
  ok(args: string[], stdin?: string | Buffer): Promise<GpgResult>;
  /** Kills the agent and deletes the directory. */
  close(): Promise<void>;
}

/** Creates an empty GNUPGHOME under the temp dir (short path: agent sockets live there). */
export async function makeGpgHome(): Promise<GpgHome> {
  const dir = await mkdtemp(join(tmpdir(), 'gh-'));
  const env = { ...process.env, GNUPGHOME: dir, LC_ALL: 'C' };
  const run = (args: string[], stdin?: string | Buffer): Promise<GpgResult> =>
    new Promise((resolve, reject) => {
      const child = spawn('gpg', ['--batch', '--no-tty', ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => err.push(c));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
      child.stdin.on('error', () => undefined);
      child.stdin.end(stdin ?? '');
    });
  const ok = async (args: string[], stdin?: string | Buffer): Promise<GpgResult> => {
    const r = await run(args, stdin);
    if (r.code !== 0) throw new Error(`gpg ${args.filter((a) => !a.startsWith('/')).join(' ')} failed (${r.code}): ${r.stderr}`);
    return r;
  };
  return {
    dir,
    run,
    ok,
    async close() {
      await new Promise<void>((resolve) => {
        const c = spawn('gpgconf', ['--kill', 'all'], { env, stdio: 'ignore' });
        c.on('close', () => resolve());
        c.on('error', () => resolve());
      });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Options for gpg encryption. */
export interface GpgEncryptOptions {
  armor?: boolean;
  /** gpg --compress-algo: ZLIB, ZIP, BZIP2 or none. Default none. */
  compress?: 'ZLIB' | 'ZIP' | 'BZIP2' | 'none';
  cipher?: string;
}

const encArgs = (o: GpgEncryptOptions): string[] => [
  ...(o.armor ? ['--armor'] : []),
  '--compress-algo',
  o.compress ?? 'none',
  '--cipher-algo',
  o.cipher ?? 'AES256',
];

/** `gpg --symmetric` of `inFile` to `outFile` with a passphrase on stdin. */
export async function gpgEncryptSymmetric(home: GpgHome, inFile: string, outFile: string, passphrase: string, o: GpgEncryptOptions = {}): Promise<void> {
  await home.ok(['--pinentry-mode', 'loopback', '--passphrase-fd', '0', '--yes', ...encArgs(o), '--symmetric', '-o', outFile, inFile], passphrase);
}

/** `gpg --encrypt` of `inFile` to `outFile` for the given recipients (key IDs/fingerprints). */
export async function gpgEncryptTo(home: GpgHome, inFile: string, outFile: string, recipients: string[], o: GpgEncryptOptions = {}): Promise<void> {
  const r = recipients.flatMap((x) => ['--recipient', x]);
  await home.ok(['--yes', '--trust-model', 'always', ...encArgs(o), ...r, '--encrypt', '-o', outFile, inFile]);
}

/** `gpg --decrypt`; `passphrase` is the message passphrase or the private key's passphrase. */
export async function gpgDecrypt(home: GpgHome, inFile: string, outFile: string, passphrase?: string): Promise<GpgResult> {
  const pw = passphrase === undefined ? [] : ['--pinentry-mode', 'loopback', '--passphrase-fd', '0'];
  return home.run([...pw, '--yes', '-o', outFile, '--decrypt', inFile], passphrase);
}

/** A generated key pair. */
export interface GpgKey {
  fingerprint: string;
  /** Long key ID of the encryption subkey (what PKESK packets name). */
  encryptionKeyId: string;
  armoredPublic: string;
  armoredSecret: string;
  binarySecret: Buffer;
}

/** Generates a key with a passphrase: 'ecc' = ed25519 + cv25519 subkey (fast), 'rsa' = rsa2048 pair, 'rsa1024' (fast, tests only). */
export async function gpgGenKey(home: GpgHome, uid: string, passphrase: string, kind: 'ecc' | 'rsa' | 'rsa1024' = 'ecc'): Promise<GpgKey> {
  const pw = ['--pinentry-mode', 'loopback', '--passphrase-fd', '0'];
  const [primary, sub] = kind === 'ecc' ? ['ed25519', 'cv25519'] : kind === 'rsa' ? ['rsa2048', 'rsa2048'] : ['rsa1024', 'rsa1024'];
  await home.ok([...pw, '--quick-gen-key', uid, primary, 'cert,sign', 'never'], passphrase);
  const list = (await home.ok(['--with-colons', '--list-secret-keys', uid])).stdout.toString();
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(list)?.[1];
  if (!fingerprint) throw new Error(`no fingerprint for ${uid}: ${list}`);
  await home.ok([...pw, '--quick-add-key', fingerprint, sub, 'encr', 'never'], passphrase);
  const list2 = (await home.ok(['--with-colons', '--list-secret-keys', fingerprint])).stdout.toString();
  const ssb = list2.split('\n').find((l) => l.startsWith('ssb:'));
  const encryptionKeyId = ssb?.split(':')[4];
  if (!encryptionKeyId) throw new Error(`no subkey for ${uid}: ${list2}`);
  const armoredPublic = (await home.ok(['--armor', '--export', fingerprint])).stdout.toString();
  const armoredSecret = (await home.ok([...pw, '--armor', '--export-secret-keys', fingerprint], passphrase)).stdout.toString();
  const binarySecret = (await home.ok([...pw, '--export-secret-keys', fingerprint], passphrase)).stdout;
  return { fingerprint, encryptionKeyId, armoredPublic, armoredSecret, binarySecret };
}

/** Writes a small valid zip (stored entries) — enough for format and restore-path tests. */
export async function writeTinyZip(path: string, files: Record<string, string | Buffer>): Promise<void> {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
    const fname = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(0, 10); // time/date
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(fname.length, 26);
    local.writeUInt16LE(0, 28);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0x0800, 8);
    cd.writeUInt16LE(0, 10);
    cd.writeUInt32LE(0, 12);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(data.length, 20);
    cd.writeUInt32LE(data.length, 24);
    cd.writeUInt16LE(fname.length, 28);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, fname);
    parts.push(local, fname, data);
    offset += local.length + fname.length + data.length;
  }
  const cdBuf = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  const n = Object.keys(files).length;
  end.writeUInt16LE(n, 8);
  end.writeUInt16LE(n, 10);
  end.writeUInt32LE(cdBuf.length, 12);
  end.writeUInt32LE(offset, 16);
  await writeFile(path, Buffer.concat([...parts, cdBuf, end]));
}

/** Python `repr(float)` for the `.info` backup_size field. */
const pyFloat = (n: number): string => (Number.isInteger(n) ? `${n}.0` : String(n));

/** An odoo_backup_sh-style pair. */
export interface OdooBackupShPair {
  encPath: string;
  infoPath: string;
  /** `%Y-%m-%d_%H-%M-%S`, UTC. */
  ts: string;
}

/**
 * Writes `<db>.<ts>.zip.enc` (exactly as odoo_backup_sh does through python-gnupg: gpg
 * `--armor --symmetric --cipher-algo AES256 --compress-algo ZLIB`, passphrase on fd 0) and
 * `<db>.<ts>.info` into `dir`. `ts` defaults to now (UTC).
 */
export async function makeOdooBackupShPair(dir: string, db: string, zipPath: string, passphrase: string, ts?: string): Promise<OdooBackupShPair> {
  const stamp = ts ?? new Date().toISOString().slice(0, 19).replace('T', '_').replace(/:/g, '-');
  const encPath = join(dir, `${db}.${stamp}.zip.enc`);
  const infoPath = join(dir, `${db}.${stamp}.info`);
  const home = await makeGpgHome();
  try {
    await home.ok(
      ['--no-options', '--always-trust', '--pinentry-mode', 'loopback', '--passphrase-fd', '0', '--yes', '--armor', '--cipher-algo', 'AES256', '--compress-algo', 'ZLIB', '--symmetric', '-o', encPath, zipPath],
      passphrase,
    );
  } finally {
    await home.close();
  }
  const size = (await stat(encPath)).size;
  const info = [
    '[common]',
    `database = ${db}`,
    'encrypted = True',
    `upload_datetime = ${stamp}`,
    `backup_size = ${pyFloat(size / 1024 / 1024)}`,
    'storage_service = odoo_backup_sh',
    '',
  ].join('\n');
  await writeFile(infoPath, info);
  return { encPath, infoPath, ts: stamp };
}
