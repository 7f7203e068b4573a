/**
 * Restore into a running Odoo through its database manager (the `odoo:INSTANCE` target), in
 * stages: preflight (the server answers, the master password is right, the name is valid and
 * free, Odoo majors match, the size fits the limits the server shows), upload (a streamed
 * multipart POST with progress; decrypting or packing on the way), the server's own load
 * (time-limited by its `limit_time_real`), and verification (the database is there and answers).
 *
 * Replacing an existing database never drops it before the new one is complete: the backup is
 * restored under a temporary name, then the old database is dropped and the new one renamed.
 * When Odoo fails half-way it leaves the half-built database behind; the error says so, names
 * it (`details.halfBuilt`) and how to drop it.
 */
import { randomBytes } from 'node:crypto';
import type { BackupSource, MultiPartBackup } from '../archive/source';
import type { DecryptKeys } from '../crypto';
import { AppError, cancelledError, isAppError, toAppError } from '../errors';
import type { JobContext } from '../jobs/job';
import type { OdooManagerClient } from './manager-client';
import { prepareUpload, type UploadSource } from './upload-source';
import { odooMajor, type OdooServerVersion } from './version';
import { formatBytes } from '../../contract/units';

/** Odoo's database name rule (DBNAME_PATTERN), plus PostgreSQL's 63-byte limit. */
const DBNAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** What to restore where. */
export interface RemoteRestoreOptions {
  readonly source: BackupSource | MultiPartBackup;
  /** The instance's name (messages, `details`) and its client. */
  readonly instance: string;
  readonly client: OdooManagerClient;
  readonly db: string;
  /** `copy` gives the database a new uuid/secret (Odoo also resets web.base.url); `move` keeps them. */
  readonly mode: 'copy' | 'move';
  readonly neutralize: boolean;
  /** Replace an existing database of that name (only once the new one is complete). */
  readonly replace: boolean;
  readonly decrypt?: DecryptKeys;
  /** The backup's Odoo version when already known (catalog facts), used when the backup cannot tell before uploading. */
  readonly knownOdooVersion?: string;
  /** How long the upload-limit probe waits for a 413 (default 2 s). */
  readonly probeWaitMs?: number;
}

/** What a remote restore did. */
export interface RemoteRestoreResult {
  readonly target: 'odoo';
  readonly instance: string;
  readonly url: string;
  readonly db: string;
  readonly serverVersion: string;
  readonly odooVersion: string | undefined;
  /** What was sent: the backup as is, or a zip packed here. */
  readonly sent: 'zip' | 'dump' | 'packed-zip';
  /** True when the backup was an OpenPGP message, decrypted on the way. */
  readonly encrypted: boolean;
  readonly bytesSent: number;
  readonly uploadSeconds: number;
  readonly serverSeconds: number;
  readonly mode: 'copy' | 'move';
  readonly neutralized: boolean;
  readonly replaced: boolean;
  /** Whether the database is in the server's list (undefined when the server hides its list). */
  readonly listed: boolean | undefined;
  /** Where to open it in Odoo (`/web?db=NAME`, which 16.0 and later all take). */
  readonly odooUrl: string;
  readonly warnings: string[];
}

interface Preflight {
  readonly version: OdooServerVersion;
  readonly exists: boolean;
}

/** Runs the whole remote restore as one job body. */
export async function restoreToOdoo(o: RemoteRestoreOptions, ctx: JobContext): Promise<RemoteRestoreResult> {
  const warnings: string[] = [];
  const warn = (m: string): void => {
    warnings.push(m);
    ctx.log('warn', m);
  };
  const pre = await preflightRemote(o, ctx);
  const upload = await prepareUpload(o.source, { ...(o.decrypt ? { decrypt: o.decrypt } : {}), signal: ctx.signal });
  try {
    checkVersions(o, pre.version, upload.odooVersion ?? o.knownOdooVersion, upload.encrypted, warn);
    await checkLimits(o, upload, pre.version, ctx, warn);
  } catch (err) {
    upload.close();
    throw err;
  }
  const loadName = pre.exists ? tempName(o.db) : o.db;
  const timing = await uploadAndLoad(o, upload, loadName, ctx, warn);
  if (pre.exists) await swapIn(o, loadName, ctx);
  const listed = await verifyRestored(o, ctx);
  ctx.log('info', `restored ${o.db} on ${o.instance} (${o.client.url})`);
  return {
    target: 'odoo',
    instance: o.instance,
    url: o.client.url,
    db: o.db,
    serverVersion: pre.version.version,
    odooVersion: upload.odooVersion ?? o.knownOdooVersion,
    sent: upload.kind,
    encrypted: upload.encrypted,
    ...timing,
    mode: o.mode,
    neutralized: o.neutralize,
    replaced: pre.exists,
    listed,
    odooUrl: `${o.client.url}/web?db=${encodeURIComponent(o.db)}`,
    warnings,
  };
}

/** The server answers, the password is right, the name is valid and free (or `replace`), neutralizing is possible. */
export async function preflightRemote(o: RemoteRestoreOptions, ctx: JobContext): Promise<Preflight> {
  ctx.progress({ phase: 'preflight', label: `Checking ${o.instance}` });
  if (!DBNAME.test(o.db) || Buffer.byteLength(o.db) > 63) {
    throw new AppError('InvalidInput', `"${o.db}" is not a valid Odoo database name.`, { hint: 'Use letters, digits, "_", "." or "-", starting with a letter or digit (at most 63 bytes).' });
  }
  const version = await o.client.version(ctx.signal);
  await o.client.checkMasterPassword(ctx.signal);
  // With list_db = False the manager refuses the restore only once the whole backup is uploaded;
  // db.list is refused the same way, up front (PermissionDenied, saying so).
  await o.client.listDatabases(ctx.signal);
  if (o.neutralize && version.major < 16) {
    throw new AppError('Unsupported', `Odoo ${version.version} cannot neutralize a restored database (Odoo 16.0 and later can).`, {
      hint: 'Restore without neutralizing, or restore into PostgreSQL directly (our own neutralization works for every version).',
      details: { cliHint: 'Restore without --neutralize, or restore into PostgreSQL directly (our own neutralization works for every version).' },
    });
  }
  const exists = await o.client.databaseExists(o.db, ctx.signal);
  if (exists && !o.replace) {
    throw new AppError('Conflict', `A database named "${o.db}" already exists on ${o.instance} (${o.client.url}).`, {
      hint: 'Choose another name, or replace it (the old one is dropped only once the new one is complete).',
      details: { cliHint: 'Choose another name, or replace it (--replace; the old one is dropped only once the new one is complete).' },
    });
  }
  return { version, exists };
}

/** Odoo does not migrate on restore: the backup's major must be the server's. */
function checkVersions(o: RemoteRestoreOptions, server: OdooServerVersion, backupVersion: string | undefined, encrypted: boolean, warn: (m: string) => void): void {
  const major = odooMajor(backupVersion);
  if (major === undefined) return warn(unknownVersionWarning(o.instance, server, encrypted));
  if (major !== server.major) {
    throw new AppError('InvalidInput', `The backup is from Odoo ${backupVersion}, and ${o.instance} runs Odoo ${server.version}: Odoo does not migrate a database on restore.`, {
      hint: `Restore it into an Odoo ${major} server (or migrate it first, e.g. with OpenUpgrade).`,
      details: { backupVersion, serverVersion: server.version },
    });
  }
}

/**
 * Why the versions could not be compared, what happens now, and what to do: inspect an encrypted
 * backup first (it reads the manifest once decrypted); a dump or a zip without manifest records
 * no version at all, so inspect cannot tell either.
 */
export function unknownVersionWarning(instance: string, server: OdooServerVersion, encrypted: boolean): string {
  const why = encrypted
    ? 'The backup is encrypted, so its Odoo version could not be read before uploading (an odoo_backup_sh .info does not record it)'
    : 'The backup\'s Odoo version could not be read before uploading (a pg_dump dump, or a zip without manifest.json, does not record it)';
  const todo = encrypted
    ? 'Inspect it first with its passphrase: inspect shows its Odoo version, and remembers it for a backup on a storage, whose next restore then compares the versions before the upload.'
    : `Nothing in it records the version (inspect cannot tell either): make sure it comes from an Odoo ${server.major} database.`;
  return `${why}. It was sent to ${instance} (Odoo ${server.version}) unchecked: Odoo does not migrate a database on restore, so a backup from another Odoo version restores there but its database will not start. ${todo}`;
}

const MiB = 1024 * 1024;

/**
 * The size against what the server shows: a probe for 413 (nginx, Odoo 17.0's early cap), and
 * warnings. Only an exact size is refused up front: a decrypted or packed upload (sent chunked)
 * can be smaller than the stored backup (armor, plain SQL) or larger, so a 413 at the stored
 * size is a warning, and the server's own 413 during the upload names the limit when it bites.
 */
async function checkLimits(o: RemoteRestoreOptions, up: UploadSource, server: OdooServerVersion, ctx: JobContext, warn: (m: string) => void): Promise<void> {
  const size = up.size ?? up.rawSize;
  if (size === undefined) return;
  ctx.progress({ phase: 'preflight', label: `Checking that ${o.instance} takes ${formatBytes(size)}` });
  const refused = await o.client.probeUploadLimit(size, ctx.signal, o.probeWaitMs ?? 2000);
  if (refused && up.size !== undefined) throw refused;
  if (refused) warn(inexactLimitWarning(o.instance, up, size, refused));
  if (server.major === 17 && size > 128 * MiB) {
    warn(`Early Odoo 17.0 builds refuse uploads over 128 MiB (HTTP 413); this server did not refuse the announced size, so it should take it.`);
  }
}

/** A 413 at the stored size of an upload whose own size is known only once sent: what it means, and why it goes ahead. */
function inexactLimitWarning(instance: string, up: UploadSource, stored: number, refused: AppError): string {
  const what = up.kind === 'packed-zip' ? 'an Odoo zip packed from it on the way' : 'the backup decrypted on the way';
  const limit = refused.details?.limit === 'odoo' ? "Odoo's own upload cap" : "its web server's client_max_body_size (or its proxy's limit)";
  return (
    `${instance} refuses an upload of ${formatBytes(stored)}, the size of the ${up.encrypted ? 'encrypted ' : ''}backup as stored (HTTP 413: ${limit}). ` +
    `What is sent is ${what}, whose size is known only once sent, so it is sent anyway: if it is over the limit, the server stops it with that 413.`
  );
}

/** Uploads, then waits for Odoo to load; on failure says whether Odoo left a half-built database. */
async function uploadAndLoad(o: RemoteRestoreOptions, up: UploadSource, name: string, ctx: JobContext, warn: (m: string) => void): Promise<{ bytesSent: number; uploadSeconds: number; serverSeconds: number }> {
  const started = Date.now();
  let uploadedAt: number | undefined;
  let ticker: NodeJS.Timeout | undefined;
  const total = up.size;
  const label = `Uploading to ${o.instance}${up.kind === 'packed-zip' ? ' (packing an Odoo zip on the way)' : up.encrypted ? ' (decrypting on the way)' : ''}`;
  const onSent = (n: number): void => {
    if (total !== undefined) ctx.progress({ phase: 'upload', label, done: Math.min(n, total), total, unit: 'bytes' }); // n counts the few form bytes too
    else ctx.progress({ phase: 'upload', label, done: up.rawBytes(), ...(up.rawSize !== undefined ? { total: up.rawSize } : {}), unit: 'bytes', message: `${formatBytes(n)} sent` });
  };
  const onUploaded = (): void => {
    uploadedAt = Date.now();
    const tick = (): void => {
      const secs = Math.round((Date.now() - uploadedAt!) / 1000);
      ctx.progress({ phase: 'server', label: `Odoo is loading the backup into ${name}`, message: `${secs} s` });
      if (secs >= 120 && secs < 122) warn('Odoo has worked on this restore for 120 s: unless limit_time_real was raised on the server, Odoo stops it now.');
    };
    tick();
    ticker = setInterval(tick, 2000);
  };
  try {
    const r = await o.client.restore({ name, data: up.data, ...(total !== undefined ? { size: total } : {}), filename: up.filename, copy: o.mode === 'copy', neutralize: o.neutralize, signal: ctx.signal, onSent, onUploaded });
    return { bytesSent: r.bytesSent, uploadSeconds: ((uploadedAt ?? Date.now()) - started) / 1000, serverSeconds: (Date.now() - (uploadedAt ?? Date.now())) / 1000 };
  } catch (err) {
    up.close();
    throw await explainFailure(o, name, err, uploadedAt !== undefined);
  } finally {
    clearInterval(ticker);
  }
}

/** Adds to a failure whether the database appeared anyway (half-built), and what to do. */
async function explainFailure(o: RemoteRestoreOptions, name: string, err: unknown, uploaded: boolean): Promise<AppError> {
  const e = toAppError(err);
  if (e.kind === 'Cancelled' && !uploaded) return cancelledError('The restore');
  if (!uploaded && e.kind !== 'Transient') return e;
  const appeared = await o.client.databaseExists(name).catch(() => undefined);
  if (e.kind === 'Cancelled') {
    return new AppError('Cancelled', `Cancelled after the upload: Odoo may go on restoring "${name}" on ${o.instance}.`, {
      hint: `Look at ${o.instance}'s databases once it is done, and drop "${name}" if it is not wanted.`,
      details: { instance: o.instance, command: `backup-desk odoo dbs ${o.instance}`, ...(appeared ? { halfBuilt: name } : {}) },
    });
  }
  if (!appeared) return e;
  return new AppError(e.kind, `${e.message} Odoo left a half-built database "${name}" on ${o.instance}.`, {
    hint: `${e.hint ? `${e.hint} ` : ''}${e.details?.timeout ? 'It may also still be loading: check again later. ' : ''}Drop it when it is not wanted.`,
    details: { ...e.details, instance: o.instance, halfBuilt: name, command: `backup-desk odoo drop ${o.instance} ${name} --confirm ${name}` },
    cause: e,
  });
}

/** After a complete restore under a temporary name: drop the old database, rename the new one into place. */
async function swapIn(o: RemoteRestoreOptions, tmp: string, ctx: JobContext): Promise<void> {
  ctx.progress({ phase: 'finalize', label: `Replacing ${o.db}` });
  try {
    await o.client.drop(o.db);
  } catch (err) {
    if (!isAppError(err, 'NotFound')) {
      throw new AppError(toAppError(err).kind, `The backup was restored as "${tmp}", but the old "${o.db}" could not be dropped: ${toAppError(err).message}`, {
        hint: `"${o.db}" is untouched. Drop it yourself, then rename "${tmp}", or drop "${tmp}".`,
        details: { instance: o.instance, restoredAs: tmp },
      });
    }
  }
  await o.client.rename(tmp, o.db).catch((err: unknown) => {
    throw new AppError(toAppError(err).kind, `The backup was restored as "${tmp}" and the old "${o.db}" dropped, but the rename failed: ${toAppError(err).message}`, {
      hint: `The new database is complete under the name "${tmp}".`,
      details: { instance: o.instance, restoredAs: tmp },
    });
  });
}

/** The database answers; whether it is listed (undefined when the server hides its list). */
async function verifyRestored(o: RemoteRestoreOptions, ctx: JobContext): Promise<boolean | undefined> {
  ctx.progress({ phase: 'verify', label: `Checking ${o.db} on ${o.instance}` });
  if (!(await o.client.databaseExists(o.db, ctx.signal))) {
    throw new AppError('Fatal', `Odoo answered the restore as done, but "${o.db}" does not answer on ${o.instance}.`, { hint: 'See the Odoo server log.' });
  }
  const listed = (await o.client.listDatabases(ctx.signal).catch(() => undefined))?.some((d) => d.name === o.db);
  if (listed === false) ctx.log('warn', `"${o.db}" answers but is not in ${o.instance}'s database list (a dbfilter or db_name may hide it).`);
  return listed;
}

/** The temporary names `tempName` makes: what an interrupted `--replace` restore leaves on the server. */
export const REMOTE_TEMP_PATTERN = /^bd_tmp_.{1,40}_[0-9a-f]{6}$/;

/** A temporary name for a restore that will replace an existing database (Odoo's name rule, ≤ 63 bytes). */
function tempName(db: string): string {
  return `bd_tmp_${db.slice(0, 40)}_${randomBytes(3).toString('hex')}`;
}
