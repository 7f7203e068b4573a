/**
 * Reads a plain-SQL dump as it streams (the `dump.sql` of an Odoo zip, a `.sql` dump, or what
 * `pg_restore -f -` prints) and tallies its `ir_attachment` rows and storage parameters, through
 * the restore's own SQL parser. It stops reading once both tables have passed.
 */
import { parseSqlStream, type SqlItem } from '../restore/sql-stream';
import { copyColumns, copyRows, copyTable } from './copy-rows';
import { AttachmentTally, STORAGE_PARAM_KEYS, type StorageParams } from './report';

/** What a dump scan found. */
export interface DumpScan {
  readonly tally: AttachmentTally;
  /** False when the dump has no `ir_attachment` data (not an Odoo database). */
  readonly sawAttachments: boolean;
}

async function scanAttachments(item: Extract<SqlItem, { kind: 'copy' }>, tally: AttachmentTally): Promise<void> {
  const cols = copyColumns(item.text);
  const want = ['store_fname', 'type', 'db_datas', 'file_size'].map((c) => cols.indexOf(c));
  const present = want.filter((i) => i >= 0);
  const slot = (name: number): number => present.indexOf(want[name]!);
  for await (const f of copyRows(item.data, present)) {
    const at = (k: number): { text: string | null } | undefined => (slot(k) >= 0 ? f[slot(k)] : undefined);
    const size = at(3)?.text;
    tally.add({
      storeFname: at(0)?.text ?? null,
      type: at(1)?.text ?? null,
      inDb: at(2) !== undefined && at(2)!.text !== null,
      fileSize: size ? Number(size) : null,
    });
  }
}

async function scanParams(item: Extract<SqlItem, { kind: 'copy' }>): Promise<StorageParams> {
  const cols = copyColumns(item.text);
  const params: StorageParams = {};
  for await (const [key, value] of copyRows(item.data, [cols.indexOf('key'), cols.indexOf('value')], 64 * 1024)) {
    const name = STORAGE_PARAM_KEYS[(key?.text ?? '') as keyof typeof STORAGE_PARAM_KEYS];
    if (name && value?.text !== null && value?.text !== undefined) params[name] = value.text;
  }
  return params;
}

/**
 * Tallies the attachments of a plain-SQL dump. `dbName` names the database (for Catalyst's
 * per-database containers). The input is closed once both tables are read, unless `readToEnd`
 * (a sequential zip needs the member read to its end).
 */
export async function scanSqlDump(input: AsyncIterable<Uint8Array>, opts: { dbName?: string | undefined; signal?: AbortSignal | undefined; readToEnd?: boolean } = {}): Promise<DumpScan> {
  const { dbName, signal } = opts;
  const tally = new AttachmentTally(dbName);
  let sawAttachments = false;
  let sawParams = false;
  for await (const item of parseSqlStream(input)) {
    if (signal?.aborted) break;
    if (item.kind !== 'copy') continue;
    const table = copyTable(item.text);
    if (table === 'ir_attachment') {
      sawAttachments = true;
      await scanAttachments(item, tally);
    } else if (table === 'ir_config_parameter') {
      sawParams = true;
      tally.setParams(await scanParams(item));
    }
    if (sawAttachments && sawParams && !opts.readToEnd) break;
  }
  return { tally, sawAttachments };
}
