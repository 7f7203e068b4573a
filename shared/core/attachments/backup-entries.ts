/**
 * Complete backups (`backup … --attachments include`): the objects a snapshot references in object
 * storage, as extra `filestore/<sha[:2]>/<sha>` members of the archive, so the backup restores
 * anywhere without the bucket. Each object is downloaded first (in memory when small, else to a
 * temporary file), its SHA-1 checked against its name, and only then handed to the zip writer: a
 * corrupt or missing object is listed in the report and never written. Plugs into the backup
 * pipeline's `extraEntries` (shared/core/backup/pg-source.ts).
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream';
import type { ZipEntry } from '../backup/zip-writer';
import { openPgSource, type PgSourceOptions, type SourceOutput } from '../backup/pg-source';
import type { SnapshotFacts } from '../backup/snapshot';
import type { JobContext } from '../jobs/job';
import { throwIfAborted } from '../errors';
import { fetchObjectTo, openObject, sha1Meter } from './fetch-object';
import type { ObjectProblem } from './restore-stage';
import type { ObjectResolver } from './resolver';
import { filestorePathOf, parseStoreFname, type ParseContext } from './store-fname';

/** Objects up to this size are held in memory between download and archive. */
const IN_MEMORY_LIMIT = 4 * 1024 * 1024;

/** What to include. */
export interface ObjectEntriesOptions {
  /** The `store_fname`s the snapshot references (filestore ones are ignored). */
  readonly names: Iterable<string>;
  readonly resolver: ObjectResolver;
  /** The location parameter and Catalyst container, to read bare SHA-1 names. */
  readonly parse?: ParseContext;
  /** True for SHA-1s the archive already holds from the filestore folder (not fetched again). */
  readonly have?: (sha1: string) => boolean;
  readonly signal?: AbortSignal;
  /** Downloads started ahead of the archive writer (default 4). */
  readonly concurrency?: number;
  /** Called for each object once included or given up on. */
  readonly onObject?: (done: number, total: number) => void;
}

/** What was included; final once the entries have been iterated to the end. */
export interface ObjectEntriesReport {
  /** Distinct remote objects referenced. */
  total: number;
  included: number;
  bytes: number;
  /** `store_fname`s whose object is in the archive (for the pipeline's verification). */
  readonly includedNames: Set<string>;
  readonly problems: ObjectProblem[];
}

type Loaded = { entry: ZipEntry; tmp?: string; storeFname: string; bytes: number } | { problem: ObjectProblem };

async function load(name: string, sha1: string, o: ObjectEntriesOptions, dir: () => Promise<string>): Promise<Loaded> {
  const at = parseStoreFname(name, o.parse);
  const problem = (reason: ObjectProblem['reason'], message: string): Loaded => ({ problem: { storeFname: name, reason, message } });
  let handle;
  try {
    handle = await o.resolver.handleFor(at);
  } catch (err) {
    return problem('unreachable', (err as Error).message);
  }
  const entryName = `filestore/${filestorePathOf(sha1)}`;
  const info = await handle.provider.stat(handle.key, o.signal ? { signal: o.signal } : {}).catch(() => undefined);
  if (info && info.size <= IN_MEMORY_LIMIT) {
    const input = await openObject(handle, o.signal);
    if (!input) return problem('missing', `${handle.label}/${handle.key} does not exist.`);
    const meter = sha1Meter();
    const parts: Buffer[] = [];
    // pipeline, not pipe: a failed read fails the meter (a piped one waited for good, the error unheard).
    for await (const c of pipeline(input, meter, () => undefined)) parts.push(c as Buffer);
    if (meter.digest() !== sha1) return problem('corrupt', `${handle.label}/${handle.key}: content SHA-1 is ${meter.digest()}, not the ${sha1} it is named after.`);
    const buffer = Buffer.concat(parts);
    return { entry: { name: entryName, deflate: false, data: { kind: 'buffer', buffer } }, storeFname: name, bytes: buffer.length };
  }
  const tmp = join(await dir(), sha1);
  const r = await fetchObjectTo(handle, sha1, tmp, o.signal);
  if (r.status === 'missing') return problem('missing', r.message);
  if (r.status === 'corrupt') return problem('corrupt', `${handle.label}/${handle.key}: content SHA-1 is ${r.actualSha1}, not the ${sha1} it is named after.`);
  const size = (await stat(tmp)).size;
  const open = (): AsyncIterable<Buffer> => createReadStream(tmp, { highWaterMark: 1 << 20 });
  return { entry: { name: entryName, deflate: false, data: { kind: 'stream', open, size } }, tmp, storeFname: name, bytes: size };
}

interface Planned {
  readonly name: string;
  readonly sha1: string;
  readonly aliases: string[];
}

/** Distinct remote names with the SHA-1 they must have (names that give none are problems). */
function plan(o: ObjectEntriesOptions, report: ObjectEntriesReport): Planned[] {
  const seen = new Map<string, Planned>();
  const out: Planned[] = [];
  for (const name of o.names) {
    const at = parseStoreFname(name, o.parse);
    if (at.kind === 'filestore') continue;
    report.total++;
    const sha1 = 'sha1' in at ? at.sha1 : undefined;
    if (!sha1) {
      report.problems.push({ storeFname: name, reason: 'unverifiable', message: `${name} names no SHA-1.` });
      continue;
    }
    if (o.have?.(sha1)) {
      report.included++;
      report.includedNames.add(name);
      continue;
    }
    const same = seen.get(sha1);
    if (same) {
      // The same content under another bucket/container: one archive member serves both names.
      same.aliases.push(name);
      continue;
    }
    const p: Planned = { name, sha1, aliases: [] };
    seen.set(sha1, p);
    out.push(p);
  }
  return out;
}

/** The archive members of the remote objects, and the report they fill in. */
export function objectStorageEntries(o: ObjectEntriesOptions): { entries: AsyncIterable<ZipEntry>; report: ObjectEntriesReport } {
  const report: ObjectEntriesReport = { total: 0, included: 0, bytes: 0, includedNames: new Set(), problems: [] };
  async function* entries(): AsyncGenerator<ZipEntry> {
    const todo = plan(o, report);
    let tmpDir: Promise<string> | undefined;
    const dir = (): Promise<string> => (tmpDir ??= mkdtemp(join(tmpdir(), 'bd-objects-')));
    const depth = Math.max(1, o.concurrency ?? 4);
    const queue: Promise<Loaded>[] = [];
    let next = 0;
    let done = report.included + report.problems.length;
    try {
      while (next < todo.length || queue.length > 0) {
        while (queue.length < depth && next < todo.length) {
          const t = todo[next++]!;
          const p = load(t.name, t.sha1, o, dir);
          p.catch(() => undefined);
          queue.push(p);
        }
        throwIfAborted(o.signal, 'The backup');
        const t = todo[next - queue.length]!;
        const r = await queue.shift()!;
        if ('problem' in r) report.problems.push(r.problem, ...t.aliases.map((a) => ({ ...r.problem, storeFname: a })));
        else {
          yield r.entry;
          report.included += 1 + t.aliases.length;
          report.bytes += r.bytes;
          for (const n of [t.name, ...t.aliases]) report.includedNames.add(n);
          if (r.tmp) await rm(r.tmp, { force: true });
        }
        done += 1 + t.aliases.length;
        o.onObject?.(done, report.total);
      }
    } finally {
      await Promise.allSettled(queue);
      if (tmpDir) await rm(await tmpDir, { recursive: true, force: true });
    }
  }
  return { entries: entries(), report };
}

/** A source whose archive also holds the object-storage attachments, and what was included. */
export type SourceWithObjects = SourceOutput & { readonly objects: ObjectEntriesReport };

/** What `openPgSourceWithObjects` needs besides the source options. */
export interface IncludeObjects {
  readonly resolver: ObjectResolver;
  readonly concurrency?: number;
}

/**
 * `openPgSource` with `--attachments include`: every object the snapshot references in object
 * storage is added as `filestore/<sha[:2]>/<sha>`, and the pipeline's verification counts a
 * remote name as archived when its object is (others are listed as missing: the backup is
 * incomplete). The report's problems say why each missing object is missing.
 */
export async function openPgSourceWithObjects(o: PgSourceOptions, inc: IncludeObjects, ctx: JobContext): Promise<SourceWithObjects> {
  let report: ObjectEntriesReport | undefined;
  const extraEntries = (snap: SnapshotFacts): AsyncIterable<ZipEntry> => {
    const haveInFolder = new Set([...snap.storeFnames].flatMap((f) => {
      const at = parseStoreFname(f);
      return at.kind === 'filestore' && at.sha1 ? [at.sha1] : [];
    }));
    const r = objectStorageEntries({
      names: snap.storeFnames,
      resolver: inc.resolver,
      have: (sha) => haveInFolder.has(sha),
      signal: ctx.signal,
      ...(inc.concurrency ? { concurrency: inc.concurrency } : {}),
      onObject: (done, total) => ctx.progress({ phase: 'attachments', label: 'Copying attachments from object storage', done, total, unit: 'items' }),
    });
    report = r.report;
    return r.entries;
  };
  const out = await openPgSource({ ...o, extraEntries }, ctx);
  const objects = report ?? { total: 0, included: 0, bytes: 0, includedNames: new Set<string>(), problems: [] };
  // Remote names count as archived under their filestore path once included.
  const referenced = out.referenced
    ? new Set([...out.referenced].map((f) => {
        const at = parseStoreFname(f);
        return at.kind !== 'filestore' && 'sha1' in at && at.sha1 ? filestorePathOf(at.sha1) : f;
      }))
    : undefined;
  return { ...out, ...(referenced ? { referenced } : {}), objects };
}
