/**
 * The explicit, opt-in vault: `<home>/secrets.vault`, one file encrypted with a passphrase,
 * for machines without an OS keychain (headless servers). Never created implicitly.
 *
 * Crypto (Node's built-in `crypto`, no extra dependency):
 * - KDF: scrypt (memory-hard), N = 2^15…2^17 (default 2^16, 64 MiB), r = 8, p = 1, a random
 *   16-byte salt per vault. 64 bytes are derived: 32 for the AES key, 32 for a key-check
 *   value, so a wrong passphrase (`AuthFailed`) is told apart from a tampered file (`Integrity`).
 * - AEAD: AES-256-GCM with a fresh random 96-bit nonce on every write; the header (format,
 *   version, KDF parameters, salt) is the additional authenticated data.
 * - Inside: JSON `{ "<scope>": { "<name>": "<value>" } }`.
 * - Writes: temp file in the same folder, fsync, rename, mode 0600, under `<vault>.lock`
 *   so several processes' read-modify-write cycles do not lose each other's changes.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';
import { access, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../errors';
import type { SecretStore } from './secret-store';

/** The vault file's name in the home folder. */
export const VAULT_FILE = 'secrets.vault';
/** Env var naming a file whose first line is the vault passphrase. */
export const VAULT_PASSPHRASE_FILE_ENV = 'BACKUP_DESK_VAULT_PASSPHRASE_FILE';

const FORMAT = 'odoo-backup-desk-vault';
const MIN_LOG_N = 15;
const MAX_LOG_N = 17;
const DEFAULT_LOG_N = 16;
const CHECK_LABEL = 'odoo-backup-desk vault key check';

interface VaultHeader {
  format: typeof FORMAT;
  version: 1;
  kdf: { name: 'scrypt'; logN: number; r: number; p: number; salt: string };
  cipher: 'aes-256-gcm';
  check: string;
}

interface VaultFile extends VaultHeader {
  nonce: string;
  tag: string;
  data: string;
}

type Contents = Record<string, Record<string, string>>;

/** The vault path of a home folder. */
export function vaultPath(home: string): string {
  return join(home, VAULT_FILE);
}

/** True when `<home>/secrets.vault` exists. */
export async function vaultExists(home: string): Promise<boolean> {
  try {
    await access(vaultPath(home));
    return true;
  } catch {
    return false;
  }
}

function deriveKeys(passphrase: string, salt: Buffer, logN: number, r: number, p: number): Promise<{ key: Buffer; check: Buffer }> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) => {
    scrypt(passphrase.normalize('NFC'), salt, 64, { N, r, p, maxmem: 256 * N * r }, (err, out) => {
      if (err) reject(new AppError('Fatal', `Cannot derive the vault key: ${err.message}`, { cause: err }));
      else {
        const key = out.subarray(0, 32);
        const check = createHmac('sha256', out.subarray(32, 64)).update(CHECK_LABEL).digest();
        resolve({ key, check });
      }
    });
  });
}

function headerAad(h: VaultHeader): Buffer {
  return Buffer.from(JSON.stringify([h.format, h.version, h.kdf.name, h.kdf.logN, h.kdf.r, h.kdf.p, h.kdf.salt, h.cipher, h.check]), 'utf8');
}

function parseVaultFile(text: string, file: string): VaultFile {
  const bad = (why: string): AppError =>
    new AppError('Integrity', `The vault ${file} is damaged or not a vault (${why}).`, {
      hint: 'Restore the file from a backup, or move it away and run `backup-desk secrets vault init` to start a new vault.',
      details: { file },
    });
  let v: Partial<VaultFile>;
  try {
    v = JSON.parse(text) as Partial<VaultFile>;
  } catch {
    throw bad('not JSON');
  }
  if (v.format !== FORMAT || v.version !== 1 || v.cipher !== 'aes-256-gcm') throw bad('unknown format');
  const k = v.kdf;
  if (!k || k.name !== 'scrypt' || !Number.isInteger(k.logN) || k.logN < MIN_LOG_N || k.logN > MAX_LOG_N || k.r !== 8 || k.p !== 1) {
    throw bad('unsupported key-derivation parameters');
  }
  for (const f of ['nonce', 'tag', 'data', 'check'] as const) if (typeof v[f] !== 'string') throw bad(`missing ${f}`);
  if (typeof k.salt !== 'string' || Buffer.from(k.salt, 'base64').length < 16) throw bad('bad salt');
  return v as VaultFile;
}

/** Options for creating a vault. */
export interface VaultCreateOptions {
  /** scrypt cost as log2(N), 15…17 (default 16). */
  readonly logN?: number;
}

/**
 * A `SecretStore` in the passphrase-encrypted vault file. Every operation re-reads the file
 * (so two processes see each other's writes) and re-uses the key derived at open.
 */
export class VaultSecretStore implements SecretStore {
  readonly backend = 'vault' as const;
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly file: string,
    private header: VaultHeader,
    private key: Buffer,
  ) {}

  /** Creates a new, empty vault; `Conflict` when one exists already. */
  static async create(home: string, passphrase: string, opts: VaultCreateOptions = {}): Promise<VaultSecretStore> {
    if (!passphrase) throw new AppError('InvalidInput', 'The vault passphrase is empty.', { hint: 'Choose a long passphrase (a few words).' });
    const logN = opts.logN ?? DEFAULT_LOG_N;
    if (!Number.isInteger(logN) || logN < MIN_LOG_N || logN > MAX_LOG_N) {
      throw new AppError('InvalidInput', `The vault cost must be between ${MIN_LOG_N} and ${MAX_LOG_N}.`);
    }
    const file = vaultPath(home);
    if (await vaultExists(home)) {
      throw new AppError('Conflict', `A vault already exists at ${file}.`, {
        hint: 'Use it (its passphrase is asked for), or move it away first to start a new one.',
        details: { file },
      });
    }
    const salt = randomBytes(16);
    const { key, check } = await deriveKeys(passphrase, salt, logN, 8, 1);
    const header: VaultHeader = {
      format: FORMAT,
      version: 1,
      kdf: { name: 'scrypt', logN, r: 8, p: 1, salt: salt.toString('base64') },
      cipher: 'aes-256-gcm',
      check: check.toString('base64'),
    };
    const store = new VaultSecretStore(file, header, key);
    await mkdir(home, { recursive: true, mode: 0o700 });
    await store.write({}, true);
    return store;
  }

  /** Opens an existing vault: `NotFound` when absent, `AuthFailed` for a wrong passphrase, `Integrity` when damaged. */
  static async open(home: string, passphrase: string): Promise<VaultSecretStore> {
    const file = vaultPath(home);
    const v = await readVault(file);
    const salt = Buffer.from(v.kdf.salt, 'base64');
    const { key, check } = await deriveKeys(passphrase, salt, v.kdf.logN, v.kdf.r, v.kdf.p);
    const stored = Buffer.from(v.check, 'base64');
    if (stored.length !== check.length || !timingSafeEqual(stored, check)) {
      throw new AppError('AuthFailed', `Wrong passphrase for the vault ${file}.`, {
        hint: `Enter the vault's passphrase again (or check the file named by ${VAULT_PASSPHRASE_FILE_ENV}).`,
        details: { file },
      });
    }
    const { format, version, kdf, cipher } = v;
    const store = new VaultSecretStore(file, { format, version, kdf, cipher, check: v.check }, key);
    await store.read(); // authenticates the contents now, not at first use
    return store;
  }

  private async read(): Promise<Contents> {
    const v = await readVault(this.file);
    if (v.kdf.salt !== this.header.kdf.salt || v.check !== this.header.check || v.kdf.logN !== this.header.kdf.logN) {
      throw new AppError('Conflict', `The vault ${this.file} was replaced by another one while in use.`, {
        hint: 'Restart the app or command so the new vault is opened with its passphrase.',
      });
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(v.nonce, 'base64'));
      decipher.setAAD(headerAad(this.header));
      decipher.setAuthTag(Buffer.from(v.tag, 'base64'));
      const plain = Buffer.concat([decipher.update(Buffer.from(v.data, 'base64')), decipher.final()]);
      const parsed = JSON.parse(plain.toString('utf8')) as unknown;
      plain.fill(0);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('bad contents');
      return parsed as Contents;
    } catch (err) {
      throw new AppError('Integrity', `The vault ${this.file} failed its integrity check: it was modified or is damaged.`, {
        hint: 'Restore the vault from a backup; its secrets cannot be trusted as they are.',
        cause: err,
        details: { file: this.file },
      });
    }
  }

  private async write(contents: Contents, exclusive = false): Promise<void> {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(headerAad(this.header));
    const plain = Buffer.from(JSON.stringify(contents), 'utf8');
    const data = Buffer.concat([cipher.update(plain), cipher.final()]);
    plain.fill(0);
    const out: VaultFile = { ...this.header, nonce: nonce.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
    const dir = join(this.file, '..');
    const tmp = join(dir, `.${VAULT_FILE}.${randomUUID()}.tmp`);
    try {
      const fh = await open(tmp, 'wx', 0o600);
      try {
        await fh.writeFile(JSON.stringify(out, null, 2) + '\n', 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
      if (exclusive && (await access(this.file).then(() => true, () => false))) {
        throw new AppError('Conflict', `A vault already exists at ${this.file}.`);
      }
      await rename(tmp, this.file);
    } catch (err) {
      await rm(tmp, { force: true });
      if (err instanceof AppError) throw err;
      throw new AppError('Fatal', `Cannot write the vault ${this.file}: ${(err as Error).message}`, {
        cause: err,
        hint: 'Check that the home folder is writable and the disk is not full.',
      });
    }
  }

  private mutate(fn: (c: Contents) => void): Promise<void> {
    const run = this.chain.then(() =>
      withFileLock(`${this.file}.lock`, async () => {
        const c = await this.read();
        fn(c);
        await this.write(c);
      }),
    );
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** @inheritdoc */
  async get(scope: string, name: string): Promise<string | undefined> {
    await this.chain;
    return (await this.read())[scope]?.[name];
  }

  /** @inheritdoc */
  set(scope: string, name: string, value: string): Promise<void> {
    return this.mutate((c) => {
      c[scope] = { ...(c[scope] ?? {}), [name]: value };
    });
  }

  /** @inheritdoc */
  delete(scope: string, name: string): Promise<void> {
    return this.mutate((c) => {
      const s = c[scope];
      if (!s) return;
      delete s[name];
      if (Object.keys(s).length === 0) delete c[scope];
    });
  }

  /** @inheritdoc */
  deleteScope(scope: string): Promise<void> {
    return this.mutate((c) => {
      delete c[scope];
    });
  }

  /** The secret names stored for `scope` (never values). */
  async names(scope: string): Promise<string[]> {
    return Object.keys((await this.read())[scope] ?? {});
  }
}

const LOCK_STALE_MS = 30_000;
const LOCK_WAIT_MS = 10_000;

/**
 * Runs `fn` holding `<vault>.lock` (created exclusively), so read-modify-write cycles of
 * several processes (the app, `serve`, a CLI run) do not lose each other's changes. A lock
 * older than 30 s is taken to be left by a crashed process and broken.
 */
async function withFileLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fh = await open(lock, 'wx', 0o600);
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new AppError('Fatal', `Cannot lock the vault (${lock}): ${(err as Error).message}`, { cause: err, hint: 'Check that the home folder is writable.' });
      }
      const age = await stat(lock).then((st) => Date.now() - st.mtimeMs, () => 0);
      if (age > LOCK_STALE_MS) {
        await rm(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new AppError('Transient', 'The secrets vault is busy (another program is writing it).', {
          hint: `Try again in a moment; if nothing else is running, delete ${lock}.`,
        });
      }
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}

async function readVault(file: string): Promise<VaultFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new AppError('NotFound', `There is no vault at ${file}.`, { hint: 'Create one with `backup-desk secrets vault init`.', details: { file } });
    }
    throw new AppError(code === 'EACCES' || code === 'EPERM' ? 'PermissionDenied' : 'Fatal', `Cannot read the vault ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseVaultFile(text, file);
}

/**
 * The vault passphrase from the file named by `BACKUP_DESK_VAULT_PASSPHRASE_FILE` (first
 * line, trailing newline removed), or undefined when the variable is unset.
 */
export async function passphraseFromEnvFile(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const path = env[VAULT_PASSPHRASE_FILE_ENV];
  if (!path) return undefined;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AppError('InvalidInput', `Cannot read the vault passphrase file named by ${VAULT_PASSPHRASE_FILE_ENV} (${path}).`, {
      hint: `Point ${VAULT_PASSPHRASE_FILE_ENV} at a readable file that holds the passphrase.`,
      cause: err,
    });
  }
  const first = text.split(/\r?\n/)[0] ?? '';
  if (!first) throw new AppError('InvalidInput', `The vault passphrase file ${path} is empty.`, { hint: 'Write the passphrase on its first line.' });
  return first;
}
