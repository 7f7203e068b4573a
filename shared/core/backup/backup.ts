/**
 * Making a backup: a pipeline of named stages, one module each —
 *   source (pg-source.ts: snapshot + pg_dump + filestore → archive.ts, zip-writer.ts)
 *   → encrypt (crypto's OpenPGP, gpg-compatible)
 *   → storage writers (fan-out.ts: one read, every destination at once)
 *   → commit (commit.ts: the companion once the archive is stored, then the archive; layouts.ts)
 *   → verify (verify.ts: every referenced filestore file is in the archive).
 * `--cold` wraps it all (cold.ts). A cancel or failure at any point leaves nothing listed.
 */
import type { Readable } from 'node:stream';
import { encryptStream } from '../crypto';
import { AppError, cancelledError, serializeError, throwIfAborted, type SerializedError } from '../errors';
import type { JobContext } from '../jobs/job';
import type { BackupResultDto } from '../../contract/backups';
import { withOdooStopped, type ColdOptions } from './cold';
import { checkDestination, writeBackupTo, type BackupDestination } from './commit';
import { fanOut, type FanOutSink, type SourceTotals } from './fan-out';
import { checkLayout, companionText, layoutKeys, type BackupLayout, type CompanionFacts, type LayoutKeys } from './layouts';
import { type SourceOutput } from './pg-source';
import { verifyFilestore, type FilestoreVerification } from './verify';

/** How to encrypt (OpenPGP, gpg-compatible by default). */
export interface BackupEncryption {
  readonly passphrase?: string;
  /** Armored public keys of the recipients. */
  readonly publicKeys?: string[];
  readonly profile?: 'gpg-compatible' | 'modern';
}

/** A backup request, sources already resolved into an opener. */
export interface BackupOptions {
  readonly db: string;
  readonly format: 'zip' | 'dump';
  readonly layout: BackupLayout;
  readonly destinations: readonly BackupDestination[];
  /** Opens the source stage (e.g. `openPgSource`). */
  readonly openSource: (ctx: JobContext) => Promise<SourceOutput>;
  readonly encrypt?: BackupEncryption;
  readonly cold?: Omit<ColdOptions, 'log' | 'warn'>;
  /** A quick check that the source can be read (its database exists), run before Odoo is stopped for a cold backup. */
  readonly checkSource?: () => Promise<void>;
  /** The backup's timestamp (default: now). */
  readonly time?: Date;
}

/** What happened on one destination. */
export interface DestinationResult {
  readonly storage: string;
  readonly ok: boolean;
  /** `storage:key` of the archive, as `list` shows it. */
  readonly ref?: string;
  readonly key: string;
  /** The `.info`/sidecar (none in the odoo-manager layout). */
  readonly companionKey?: string;
  readonly error?: SerializedError;
}

/** The result of a backup that reached at least one destination. */
export interface BackupResult {
  readonly db: string;
  readonly format: 'zip' | 'dump';
  readonly layout: BackupLayout;
  readonly encrypted: boolean;
  /** The backup's timestamp (ISO 8601 UTC), the one in its names. */
  readonly createdAt: string;
  readonly size: number;
  readonly sha256: string;
  readonly durationMs: number;
  readonly destinations: DestinationResult[];
  readonly verification: FilestoreVerification;
  readonly odooVersion?: string;
  readonly pgVersion?: string;
  readonly warnings: string[];
  /** `--attachments include`: objects kept in object storage, copied into the archive or not (see shared/core/attachments). */
  readonly attachments?: { total: number; included: number; bytes: number; problems: Array<{ storeFname: string; reason: string; message: string }> };
  /** `rotate`: what each storage's rotation did afterwards. */
  readonly rotation?: BackupResultDto['rotation'];
}

async function encrypted(stream: Readable, enc: BackupEncryption | undefined, layout: BackupLayout): Promise<Readable> {
  if (!enc) return stream;
  // odoo_backup_sh's `.zip.enc` is ASCII-armored gpg output; the other layouts use binary `.gpg`.
  return encryptStream(stream, { ...enc, armor: layout === 'odoo-backup-sh' });
}

async function preflight(o: BackupOptions, keys: LayoutKeys, signal: AbortSignal): Promise<{ ready: BackupDestination[]; refused: DestinationResult[] }> {
  const checks = await Promise.all(o.destinations.map((d) => checkDestination(d, keys, signal).then(() => undefined, (err: unknown) => err)));
  const ready: BackupDestination[] = [];
  const refused: DestinationResult[] = [];
  o.destinations.forEach((d, i) => {
    const err = checks[i];
    if (err === undefined) ready.push(d);
    else refused.push({ storage: d.name, ok: false, key: keys.archive, ...(keys.companion ? { companionKey: keys.companion } : {}), error: serializeError(err) });
  });
  if (signal.aborted) throw cancelledError('The backup');
  return { ready, refused };
}

function progressReporter(ctx: JobContext): (bytes: number) => void {
  let last = 0;
  return (bytes) => {
    const now = Date.now();
    if (now - last < 200) return;
    last = now;
    ctx.progress({ phase: 'backup', label: 'Dumping, archiving and uploading', done: bytes, unit: 'bytes' });
  };
}

/** What a companion records, from the options, the source and the totals of what was sent. */
function companionFacts(o: BackupOptions, source: SourceOutput, time: Date, t: SourceTotals): Omit<CompanionFacts, 'storageKind'> {
  return {
    db: o.db,
    time,
    format: o.format,
    encrypted: !!o.encrypt,
    size: t.bytes,
    sha256: t.sha256,
    ...(source.odooVersion ? { odooVersion: source.odooVersion } : {}),
    ...(source.pgVersion ? { pgVersion: source.pgVersion } : {}),
  };
}

async function runPipeline(o: BackupOptions, ctx: JobContext, keys: LayoutKeys, time: Date, started: number, warnings: string[]): Promise<BackupResult> {
  ctx.progress({ phase: 'prepare', label: 'Checking the destinations' });
  const { ready, refused } = await preflight(o, keys, ctx.signal);
  if (ready.length === 0) throw allFailed(refused);
  throwIfAborted(ctx.signal, 'The backup');
  ctx.progress({ phase: 'prepare', label: 'Opening the database snapshot' });
  const source = await o.openSource(ctx);
  warnings.push(...source.notes);
  let committing = false;
  const facts = (t: SourceTotals): Omit<CompanionFacts, 'storageKind'> => {
    if (!committing) ctx.progress({ phase: 'commit', label: 'Writing the companions, then committing', done: t.bytes, total: t.bytes, unit: 'bytes' });
    committing = true;
    return companionFacts(o, source, time, t);
  };
  let sent;
  try {
    const stream = await encrypted(source.stream, o.encrypt, o.layout);
    const sinks: FanOutSink<unknown>[] = ready.map((d) => ({
      name: d.name,
      write: (body, totals) => writeBackupTo(d, keys, body, totals, (t) => companionText(o.layout, keys, { ...facts(t), storageKind: d.provider.kind }), ctx.signal),
    }));
    sent = await fanOut(stream, sinks, ctx.signal, progressReporter(ctx));
  } finally {
    await source.close();
  }
  if (sent.sourceError) throw sent.sourceError;
  const results = sent.outcomes.map((out, i): DestinationResult => {
    const d = ready[i]!;
    const base = { storage: d.name, key: keys.archive, ...(keys.companion ? { companionKey: keys.companion } : {}) };
    return out.ok ? { ...base, ok: true, ref: `${d.name}:${keys.archive}` } : { ...base, ok: false, error: serializeError(out.error) };
  });
  // A cancel that came after an archive was committed is too late for that storage: the backup
  // stands there (and is reported); where it came before, nothing of it was left (Cancelled).
  const destinations = [...results, ...refused];
  if (!destinations.some((d) => d.ok)) throw allFailed(destinations);
  const verification = verifyFilestore(source.referenced, source.archived);
  if (verification.status === 'missing-files') warnings.push(verification.message);
  for (const d of destinations) if (!d.ok) warnings.push(`Storage "${d.storage}" did not get the backup: ${d.error?.message ?? 'failed'}`);
  return {
    db: o.db,
    format: o.format,
    layout: o.layout,
    encrypted: !!o.encrypt,
    createdAt: time.toISOString(),
    size: sent.bytes,
    sha256: sent.sha256,
    durationMs: Date.now() - started,
    destinations,
    verification,
    ...(source.odooVersion ? { odooVersion: source.odooVersion } : {}),
    ...(source.pgVersion ? { pgVersion: source.pgVersion } : {}),
    warnings,
  };
}

function allFailed(destinations: readonly DestinationResult[]): AppError {
  const first = destinations.find((d) => d.error)?.error;
  const list = destinations.map((d) => `${d.storage}: ${d.error?.message ?? 'failed'}`).join('; ');
  return new AppError(first?.kind === 'Cancelled' ? 'Cancelled' : (first?.kind ?? 'Fatal'), `No storage got the backup (${list}).`, {
    ...(first?.hint ? { hint: first.hint } : {}),
    details: { destinations },
  });
}

/** Makes one backup; throws when no destination got it (and then nothing is left on any). */
export async function runBackup(o: BackupOptions, ctx: JobContext): Promise<BackupResult> {
  if (o.destinations.length === 0) throw new AppError('InvalidInput', 'No storage to write the backup to.', { hint: 'Choose at least one storage to write it to.', details: { cliHint: 'Give at least one --to STORAGE.' } });
  checkLayout(o.layout, o);
  const started = Date.now();
  const time = new Date(Math.floor((o.time ?? new Date()).getTime() / 1000) * 1000);
  const keys = layoutKeys(o.layout, { db: o.db, time, format: o.format, encrypted: !!o.encrypt });
  const warnings: string[] = [];
  const work = (): Promise<BackupResult> => runPipeline(o, ctx, keys, time, started, warnings);
  if (!o.cold) return work();
  // Odoo is not stopped for a backup that cannot start: a missing database, an unreachable server.
  await o.checkSource?.();
  return withOdooStopped({ ...o.cold, log: (m) => ctx.log('info', m), warn: (m) => warnings.push(m) }, work);
}
