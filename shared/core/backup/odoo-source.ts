/**
 * The `odoo:INSTANCE` source: the archive Odoo's database manager streams
 * (`POST /web/database/backup`, through shared/core/odoo's client), for servers reachable only over
 * HTTP. Odoo sends no Content-Length and proxies have cut large backups short, so a zip is checked
 * as it passes: every member's CRC-32 and size and the central directory (our streaming reader),
 * and the stream only ends once that check passed — a truncated download can never be committed.
 * Its manifest.json tells the Odoo and PostgreSQL versions; the member list is what verification
 * can see (the referenced files are not known without the database).
 */
import { PassThrough, Readable } from 'node:stream';
import { readZipStream } from '../archive/zip-stream';
import { AppError } from '../errors';
import type { JobContext } from '../jobs/job';
import type { OdooBackupStream } from '../odoo';
import type { SourceOutput } from './pg-source';
import { filestorePath } from '../archive/odoo-zip';

/** An option a backup through a running Odoo (`odoo:INSTANCE`) cannot honour. */
export type OdooSourceConflict = 'cold' | 'data-dir' | 'no-filestore';

/**
 * The options a backup through a running Odoo cannot honour, in the order they are told:
 * stopping Odoo (its manager makes the backup), a data dir (Odoo sends its own filestore), a
 * zip without its filestore (Odoo's manager puts it into every zip). The rule lives here; the
 * CLI's `backup`, the schedules and the backups service word it with their own flags.
 */
export function odooSourceConflicts(o: { readonly cold?: unknown; readonly dataDir?: string | undefined; readonly noFilestore?: boolean | undefined; readonly format?: string | undefined }): OdooSourceConflict[] {
  return [...(o.cold ? ['cold' as const] : []), ...(o.dataDir ? ['data-dir' as const] : []), ...(o.noFilestore && o.format !== 'dump' ? ['no-filestore' as const] : [])];
}

/** What a zip check found. */
interface ZipFacts {
  members: Set<string>;
  manifest?: { version?: string; pg_version?: string };
}

async function checkZip(input: AsyncIterable<Buffer>, label: string, facts: ZipFacts): Promise<void> {
  for await (const e of readZipStream(input, { name: label })) {
    const parts: Buffer[] = [];
    for await (const c of e.data()) if (e.name === 'manifest.json') parts.push(c);
    const inFilestore = filestorePath(e.name);
    if (inFilestore !== undefined && !e.directory) facts.members.add(inFilestore);
    if (e.name === 'manifest.json') {
      try {
        facts.manifest = JSON.parse(Buffer.concat(parts).toString('utf8')) as ZipFacts['manifest'];
      } catch {
        /* a manifest is not required to restore */
      }
    }
  }
}

/** Passes `input` through, checking it as a zip on the way; ends only once the check passed. */
async function* checkedZip(input: AsyncIterable<Buffer>, label: string, facts: ZipFacts): AsyncGenerator<Buffer> {
  const tee = new PassThrough({ highWaterMark: 1 << 20 });
  const check = checkZip(tee, label, facts);
  check.catch(() => undefined);
  try {
    for await (const c of input) {
      if (!tee.write(c)) await Promise.race([new Promise((r) => tee.once('drain', r)), check]);
      yield c;
    }
    tee.end();
    await check;
  } finally {
    if (!tee.writableEnded) tee.destroy();
  }
}

/** Passes a custom-format dump through, refusing anything that does not start like one. */
async function* checkedDump(input: AsyncIterable<Buffer>, label: string): AsyncGenerator<Buffer> {
  let first = true;
  for await (const c of input) {
    if (first && !c.subarray(0, 5).equals(Buffer.from('PGDMP'))) {
      throw new AppError('Integrity', `${label} is not a pg_dump custom-format archive.`, { hint: 'Check the instance and database; try --format zip.' });
    }
    first = false;
    yield c;
  }
  if (first) throw new AppError('Integrity', `${label} is empty.`, { hint: 'Check the instance and the database name.' });
}

/** The opener of an `odoo:INSTANCE` source, given a way to start the download. */
export async function openOdooSource(start: (signal: AbortSignal) => Promise<OdooBackupStream>, ctx: JobContext): Promise<SourceOutput> {
  ctx.progress({ phase: 'prepare', label: 'Waiting for Odoo to build the backup (it sends nothing until it is complete)' });
  const got = await start(ctx.signal);
  const label = `The backup Odoo sent (${got.filename})`;
  const facts: ZipFacts = { members: new Set() };
  const body = got.stream as AsyncIterable<Buffer>;
  const stream = Readable.from(got.format === 'zip' ? checkedZip(body, label, facts) : checkedDump(body, label), { objectMode: false, highWaterMark: 1 << 20 });
  return {
    stream,
    ...(got.format === 'zip' ? { archived: facts.members } : {}),
    get odooVersion() {
      return facts.manifest?.version;
    },
    get pgVersion() {
      return facts.manifest?.pg_version;
    },
    notes: [],
    close: async () => {
      if (!got.stream.destroyed) got.stream.destroy();
    },
  };
}
