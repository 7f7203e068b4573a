/**
 * The pg_restore loader stage: loads a custom-format dump into the staging database with the
 * newest pg_restore found — from the local file in parallel (`-j`), or fed the (decrypted)
 * stream on stdin. For a non-superuser restoring a local file, `COMMENT ON EXTENSION` entries
 * are left out of the TOC (odoo/odoo#31115) instead of failing the whole restore.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, cancelledError, toAppError } from '../errors';
import { libpqEnv } from '../pg/connection';
import { exitNote } from '../pg/pg-restore-sql';
import { requirePgRestore } from '../pg/tools';
import type { BackupDescription } from './describe';
import { INDEX_PHASE } from './load-sql';
import { countingStream } from './open-backup';
import type { RestoreRun, TargetServer } from './pipeline';
import type { Staging } from './staging';

/** Loads a described custom-format dump. */
export async function loadPgRestore(run: RestoreRun, server: TargetServer, desc: BackupDescription): Promise<void> {
  const header = desc.dumpHeader!;
  const tool = await requirePgRestore(header.version);
  const file = desc.localPath && !desc.encrypted ? desc.localPath : undefined;
  if (file) desc.stream.destroy();
  // From a local file, skip what a non-superuser may not restore. A stream (stdin, a decrypting
  // pipe) cannot be read twice: it is not spooled to disk (that would put a decrypted copy of the
  // backup on disk); instead the error says what to do (runPgRestore's hint).
  const toc = file && !server.superuser ? await tocWithoutExtensionComments(run, tool.path, file) : undefined;
  try {
    await runPgRestore(run.staging, tool.path, {
      tempDb: run.staging.tempDb!,
      pgUrl: run.opts.pgUrl,
      ...(toc ? { tocList: toc.file } : {}),
      ...(file ? { file } : { input: desc.stream }),
      signal: run.signal,
      ...pgRestoreProgress(run, desc),
      total: header.entries,
    });
  } finally {
    if (toc) await rm(toc.dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Progress of a pg_restore: the bytes fed to it (an encrypted backup's own bytes, against its size),
 * or from a file its TOC items; from the first index or key on, phase `indexes` (items, of the
 * TOC's when pg_restore reads a file), instead of a byte count that sits at its end.
 */
function pgRestoreProgress(run: RestoreRun, desc: BackupDescription): Pick<PgRestoreRun, 'onBytes' | 'onItem'> {
  let postData = false;
  const total = desc.size;
  const report = (done: number, of: number | undefined, unit: 'bytes' | 'items', force = false): void =>
    run.report({ ...(postData ? INDEX_PHASE : { phase: 'database', label: 'Loading the database' }), done, ...(of ? { total: of } : {}), unit }, force);
  return {
    onBytes: (n) => {
      if (!postData) report(desc.encrypted ? desc.rawBytes() : n, total, 'bytes');
    },
    onItem: (n, of, post) => {
      const starting = post && !postData;
      postData ||= post;
      report(n, of, 'items', starting);
    },
  };
}

/** Writes the TOC without extension comments to a private temp folder; warns which comments are skipped. */
async function tocWithoutExtensionComments(run: RestoreRun, tool: string, file: string): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'bd-toc-'));
  try {
    const skipped = await writeTocWithoutExtensionComments(tool, file, join(dir, 'toc.list'), run.signal);
    if (skipped.length > 0) {
      run.warn(`Skipped COMMENT ON EXTENSION ${skipped.join(', ')}: only a superuser or the extension's owner may set it, and the connected role is neither (the comment is cosmetic).`);
    }
    return { dir, file: join(dir, 'toc.list') };
  } catch (err) {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
}

interface PgRestoreRun {
  tempDb: string;
  /** A `pg_restore -L` list file: restore only the entries it names. */
  tocList?: string;
  pgUrl: string | undefined;
  file?: string;
  input?: Readable;
  signal: AbortSignal;
  onBytes: (n: number) => void;
  /** A TOC item pg_restore started (`post`: an index or key of the post-data section). */
  onItem: (n: number, total: number | undefined, post: boolean) => void;
  total: number | undefined;
}

/** A verbose pg_restore line starting an index or key build (`creating INDEX …`, `launching item 12 FK CONSTRAINT …`). */
const POST_DATA_ITEM = /^pg_restore: (?:creating|launching item \d+) (?:INDEX|CONSTRAINT|FK CONSTRAINT) /;

/** pg_restore's stderr, read line by line: TOC items counted, errors and the tail kept. */
class PgRestoreLog {
  items = 0;
  /** Post-data items (indexes, keys) started. */
  postItems = 0;
  errors = '';
  tail = '';
  private partial = '';

  constructor(private readonly onItem: (post: boolean) => void) {}

  /** Takes a chunk of stderr. */
  feed(d: string): void {
    this.partial += d;
    const lines = this.partial.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (/^pg_restore: (creating|processing data|processing item|launching item)/.test(line)) {
        this.items++;
        const post = POST_DATA_ITEM.test(line);
        if (post) this.postItems++;
        this.onItem(post);
      } else if (/error|fatal|warning/i.test(line)) {
        this.errors = (this.errors + line + '\n').slice(-4000);
      }
      this.tail = (this.tail + line + '\n').slice(-4000);
    }
  }
}

async function runPgRestore(staging: Staging, tool: string, run: PgRestoreRun): Promise<void> {
  const args = ['--no-owner', '--exit-on-error', '--verbose', '-d', run.tempDb];
  if (run.tocList) args.push('-L', run.tocList);
  if (run.file) args.push('-j', String(Math.max(1, Math.min(4, cpus().length))), run.file);
  const env = libpqEnv(run.pgUrl, run.tempDb);
  env.PGOPTIONS = `${env.PGOPTIONS ?? ''} -c synchronous_commit=off`.trim();
  const child = spawn(tool, args, { env, stdio: [run.input ? 'pipe' : 'ignore', 'ignore', 'pipe'] });
  staging.child = child;
  // From a file there is no byte count to show: count the archive's TOC items instead.
  // From a stream, bytes show until the index builds begin, then the builds started.
  const log = new PgRestoreLog((post) => {
    if (run.file) run.onItem(Math.min(log.items, run.total ?? log.items), run.total, post || log.postItems > 0);
    else if (log.postItems > 0) run.onItem(log.postItems, undefined, true);
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => log.feed(d));
  let killedBy: NodeJS.Signals | null = null;
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, sig) => ((killedBy = sig), resolve(code)));
  });
  let feedError: unknown;
  if (run.input) {
    let fed = 0;
    const counted = countingStream(run.input as AsyncIterable<Buffer>, (n) => run.onBytes((fed += n)));
    try {
      await pipeline(counted, child.stdin!, { signal: run.signal });
    } catch (err) {
      feedError = err;
      child.kill('SIGTERM');
    }
  }
  const code = await exited.catch((err: unknown) => {
    throw new AppError('MissingTool', `pg_restore could not be started: ${(err as Error).message}`, { hint: 'Install the PostgreSQL client tools.' });
  });
  staging.child = undefined;
  if (run.signal.aborted) throw cancelledError('The restore');
  if (feedError && (feedError as { code?: string }).code !== 'EPIPE') {
    throw feedError instanceof AppError ? feedError : toAppError(feedError);
  }
  if (code !== 0) throw pgRestoreFailed(code, (log.errors || log.tail).trim().split('\n').slice(-6).join('\n'), killedBy);
}

/** A failed pg_restore, with a hint chosen from its last lines. */
function pgRestoreFailed(code: number | null, detail: string, killedBy: NodeJS.Signals | null): AppError {
  // A dump that ends early or whose data blocks do not inflate is the file's fault, not the server's;
  // so is one that makes pg_restore crash (SIGSEGV on zeroed bytes).
  const damaged = /end of file|could not read (from )?input file|did not find magic string|could not uncompress data|corrupt/i;
  if (!detail.trim() && killedBy) {
    return new AppError('Integrity', `The dump is damaged: pg_restore crashed with ${killedBy} reading it.`, { hint: 'Download it again, or restore another backup; nothing was left of this restore.' });
  }
  if (!detail.trim()) detail = exitNote(killedBy);
  const line = detail.split('\n').find((l) => damaged.test(l));
  if (line !== undefined) {
    return new AppError('Integrity', `The dump is damaged or incomplete: pg_restore could not read it (${line.replace(/^pg_restore: (error: )?/, '')}).`, {
      hint: 'Download it again, or restore another backup; nothing was left of this restore.',
      details: { stderr: detail },
    });
  }
  return new AppError('Fatal', `pg_restore failed (${killedBy ? `killed by ${killedBy}` : `exit ${code}`}): ${detail}`, {
    hint: /unsupported version|input file appears to be a text format dump/i.test(detail)
      ? 'Install newer PostgreSQL client tools (postgresql-client-NN).'
      : /must be owner of extension/i.test(detail)
        ? "The dump sets a comment on an extension, which only a superuser or the extension's owner may do. Restore as a superuser (or the database owner), or restore from a local, unencrypted file: then the app skips those comments for a non-superuser."
        : /does not exist|permission denied|must be owner/i.test(detail)
          ? 'Create the missing role/extension on the target, or restore with a superuser.'
          : 'The dump does not load into this server; see the error above.',
    details: { stderr: detail },
  });
}

/**
 * Writes `pg_restore -l FILE` to `listFile` without the `COMMENT - EXTENSION` entries (streamed
 * line by line); returns the names of the extensions whose comments were left out.
 */
async function writeTocWithoutExtensionComments(tool: string, file: string, listFile: string, signal: AbortSignal): Promise<string[]> {
  const child = spawn(tool, ['-l', file], { stdio: ['ignore', 'pipe', 'pipe'], signal });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
  let killedBy: NodeJS.Signals | null = null;
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, sig) => ((killedBy = sig), resolve(code)));
  });
  const skipped: string[] = [];
  // TOC lines look like `3345; 0 0 COMMENT - EXTENSION plpgsql ` (id; catalog oid, object oid, description).
  const filter = async function* (lines: AsyncIterable<string>): AsyncGenerator<string> {
    for await (const line of lines) {
      const m = /^\s*\d+;\s+\d+\s+\d+\s+COMMENT\s+-\s+EXTENSION\s+(\S+)/.exec(line);
      if (m) skipped.push(m[1]!);
      else yield line + '\n';
    }
  };
  const rl = createInterface({ input: child.stdout, crlfDelay: Infinity });
  try {
    await pipeline(Readable.from(filter(rl)), createWriteStream(listFile, { flags: 'wx', mode: 0o600 }));
  } finally {
    rl.close();
  }
  const code = await exited.catch((err: unknown) => {
    if (signal.aborted) throw cancelledError('The restore');
    throw new AppError('MissingTool', `pg_restore could not be started: ${(err as Error).message}`, { hint: 'Install the PostgreSQL client tools.' });
  });
  if (signal.aborted) throw cancelledError('The restore');
  if (code !== 0) {
    throw new AppError('Integrity', `pg_restore could not read the table of contents of ${basename(file)}: ${stderr.trim().split('\n').slice(-3).join(' ') || exitNote(killedBy)}`, {
      hint: 'The dump is damaged or incomplete; download it again or use another backup.',
    });
  }
  return skipped;
}
