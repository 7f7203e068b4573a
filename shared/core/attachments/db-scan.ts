/**
 * Where a live or restored database's attachments live: SQL aggregates on `ir_attachment` for the
 * database and filestore, the distinct non-filestore `store_fname`s read in pages (memory grows
 * with distinct remote objects only), and the storage parameters from `ir_config_parameter`.
 */
import type pg from 'pg';
import type { AttachmentReport } from '../../contract/attachments';
import { AttachmentTally, STORAGE_PARAM_KEYS, type StorageParams } from './report';

/** Core filestore names (`ab/<sha>`, legacy `abc/<sha>`), in SQL. */
export const FILESTORE_SQL = "store_fname ~ '^[0-9a-f]{2,3}/[0-9a-f]{40}$'";

/** The storage parameters of a database (only the keys the report reads). */
export async function readStorageParams(client: pg.Client): Promise<StorageParams> {
  const keys = Object.keys(STORAGE_PARAM_KEYS);
  const r = await client.query<{ key: string; value: string | null }>('SELECT key, value FROM ir_config_parameter WHERE key = ANY($1)', [keys]);
  const params: StorageParams = {};
  for (const row of r.rows) if (row.value !== null) params[STORAGE_PARAM_KEYS[row.key as keyof typeof STORAGE_PARAM_KEYS]] = row.value;
  return params;
}

/** SQL for the `ir_attachment` columns a scan reads, standing in for the ones an old or trimmed schema lacks. */
interface Cols {
  readonly size: string;
  readonly checksum: string;
  readonly type: string;
  readonly inDb: string;
}

/** The column expressions of this database's `ir_attachment` (undefined without `store_fname`). */
async function attachmentCols(query: Query): Promise<Cols | undefined> {
  const r = await query<{ c: string }>("SELECT column_name AS c FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'ir_attachment'");
  const has = new Set(r.rows.map((x) => x.c));
  if (!has.has('store_fname')) return undefined;
  return {
    size: has.has('file_size') ? 'file_size' : '0',
    checksum: has.has('checksum') ? 'checksum' : 'NULL::text',
    type: has.has('type') ? 'type' : "'binary'",
    inDb: has.has('db_datas') ? 'db_datas IS NOT NULL' : 'false',
  };
}

/** True when the database has an `ir_attachment` table. */
export async function hasAttachmentTable(client: pg.Client): Promise<boolean> {
  const r = await client.query("SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'ir_attachment'");
  return (r.rowCount ?? 0) > 0;
}

/** A query function (a client's `query`, or `serialQuery` of one). */
export type Query = <T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]) => Promise<pg.QueryResult<T>>;

/** Queries on one connection, run one after another even when issued concurrently. */
export function serialQuery(client: pg.Client): Query {
  let queue: Promise<unknown> = Promise.resolve();
  return <T extends pg.QueryResultRow>(sql: string, params?: unknown[]) => {
    const q = queue.then(() => client.query<T>(sql, params));
    queue = q.catch(() => undefined);
    return q;
  };
}

/** One distinct non-filestore `store_fname`: its rows, their bytes, and the content checksum Odoo recorded. */
export interface RemoteName {
  readonly storeFname: string;
  readonly count: number;
  readonly bytes: number;
  /** `ir_attachment.checksum` (SHA-1 of the content), when set. */
  readonly checksum: string | undefined;
}

/** Every distinct non-filestore `store_fname` with its rows and bytes, in pages of `page`. */
export async function* remoteNames(client: pg.Client | Query, page = 5000): AsyncGenerator<RemoteName> {
  const query: Query = typeof client === 'function' ? client : (sql, params) => client.query(sql, params);
  const cols = await attachmentCols(query);
  if (!cols) return;
  let after = '';
  for (;;) {
    const r = await query<{ f: string; n: string; b: string; c: string | null }>(
      `SELECT store_fname AS f, count(*) AS n, coalesce(sum(${cols.size}), 0) AS b, min(${cols.checksum}) AS c FROM ir_attachment
        WHERE store_fname IS NOT NULL AND store_fname <> '' AND NOT (${FILESTORE_SQL}) AND store_fname COLLATE "C" > $1
        GROUP BY store_fname ORDER BY store_fname COLLATE "C" LIMIT $2`,
      [after, page],
    );
    for (const row of r.rows) yield { storeFname: row.f, count: Number(row.n), bytes: Number(row.b), checksum: row.c ?? undefined };
    if (r.rows.length < page) return;
    after = r.rows[r.rows.length - 1]!.f;
  }
}

/**
 * Where the attachments of the database `client` is connected to live, or undefined when it has
 * no `ir_attachment` table. `dbName` defaults to the connected database's name.
 */
export async function scanDatabaseAttachments(client: pg.Client, dbName?: string): Promise<AttachmentReport | undefined> {
  if (!(await hasAttachmentTable(client))) return undefined;
  const cols = await attachmentCols((sql, params) => client.query(sql, params));
  if (!cols) return undefined;
  const name = dbName ?? (await client.query<{ d: string }>('SELECT current_database() AS d')).rows[0]!.d;
  const tally = new AttachmentTally(name);
  tally.setParams(await readStorageParams(client).catch(() => ({})));
  const local = await client.query<{ k: string; n: string; b: string; d: string }>(
    `SELECT CASE WHEN store_fname IS NULL OR store_fname = '' THEN CASE WHEN ${cols.type} = 'url' THEN 'url' WHEN ${cols.inDb} THEN 'db' ELSE 'empty' END ELSE 'fs' END AS k,
            count(*) AS n, coalesce(sum(${cols.size}), 0) AS b, count(DISTINCT store_fname) AS d
       FROM ir_attachment WHERE store_fname IS NULL OR store_fname = '' OR ${FILESTORE_SQL} GROUP BY 1`,
  );
  for (const row of local.rows) {
    if (row.k === 'fs') tally.addFilestore(Number(row.n), Number(row.b), Number(row.d));
    else tally.add({ storeFname: null, type: row.k === 'url' ? 'url' : 'binary', inDb: row.k === 'db', fileSize: Number(row.b), count: Number(row.n) });
  }
  for await (const r of remoteNames(client)) tally.add({ storeFname: r.storeFname, fileSize: r.bytes, count: r.count });
  return tally.finish();
}
