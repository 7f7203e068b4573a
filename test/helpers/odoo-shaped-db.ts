/**
 * An Odoo-shaped database generator for restore tests and the benchmark: the tables the restore
 * engine touches (ir_config_parameter, ir_attachment, ir_cron, ir_mail_server, ir_model_data,
 * ir_module_module, odoo_backup_sh_config), a `$$` function body with `;` and quotes, an index
 * that needs `unaccent` through an IMMUTABLE wrapper, bytea with arbitrary bytes, multibyte text,
 * large COPY blocks, and a filestore whose files the attachments reference by sha1 — dumped by the
 * real `pg_dump` and zipped like Odoo (dump.sql first, manifest.json, filestore/…).
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { crc32, createDeflateRaw } from 'node:zlib';
import pg from 'pg';
import { psql } from './pg-cluster';

const run = promisify(execFile);

/** Size knobs of the generated database. */
export interface OdooShapedOptions {
  /** res_partner rows (text with multibyte characters, in big COPY blocks). */
  partners: number;
  /** Repeat factor of each partner's comment (32 hex chars each). */
  commentRepeat?: number;
  /** bd_blob rows of random bytes. */
  blobs: number;
  blobBytes: number;
  /** Filestore files referenced by attachments (plus checklist markers). */
  files: number;
  fileBytes: number;
}

/** The schema (run once per database). */
export const ODOO_SHAPED_SCHEMA = String.raw`
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE FUNCTION public.unaccent_immutable(text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $func$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $func$;
CREATE FUNCTION public.bd_odd_fn(x text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  -- a comment; with a semicolon and 'quotes'
  RETURN x || ';' || 'it''s $notatag$ here' || E'\\t' || $q$inner; "dq"$q$;
END;
$$;
CREATE TABLE ir_module_module (id serial PRIMARY KEY, name varchar NOT NULL, state varchar, latest_version varchar);
CREATE TABLE ir_model_data (id serial PRIMARY KEY, module varchar NOT NULL, name varchar NOT NULL, model varchar NOT NULL, res_id integer);
CREATE TABLE ir_config_parameter (id serial PRIMARY KEY, key varchar NOT NULL UNIQUE, value text NOT NULL, create_date timestamp, write_date timestamp);
CREATE TABLE ir_cron (id serial PRIMARY KEY, cron_name varchar, active boolean, interval_number integer);
CREATE TABLE ir_mail_server (id serial PRIMARY KEY, name varchar NOT NULL, smtp_host varchar, smtp_port integer, smtp_encryption varchar, smtp_authentication varchar, active boolean, sequence integer);
CREATE TABLE odoo_backup_sh_config (id serial PRIMARY KEY, database varchar, active boolean);
CREATE TABLE res_partner (id serial PRIMARY KEY, name varchar NOT NULL, comment text, active boolean DEFAULT true, create_date timestamp);
CREATE INDEX res_partner_name_unaccent_idx ON res_partner USING gin (public.unaccent_immutable(name) gin_trgm_ops);
CREATE TABLE ir_attachment (id serial PRIMARY KEY, name varchar, store_fname varchar, checksum varchar(40), file_size integer, db_datas bytea, mimetype varchar);
CREATE TABLE bd_blob (id serial PRIMARY KEY, data bytea, note text);
COMMENT ON TABLE res_partner IS 'Contact; with "quotes" and ''apostrophes''';
`;

const BASE_ROWS = String.raw`
INSERT INTO ir_module_module (name, state, latest_version) VALUES ('base', 'installed', '16.0.1.3'), ('mail', 'installed', '16.0.1.10'), ('odoo_backup_sh', 'installed', '16.0.1.0'), ('sale', 'uninstalled', NULL);
INSERT INTO ir_config_parameter (key, value) VALUES ('database.uuid', '11111111-1111-1111-1111-111111111111'), ('database.secret', 'old-secret'), ('database.create_date', '2020-01-01 00:00:00'), ('web.base.url', 'https://erp.example.com');
INSERT INTO ir_cron (cron_name, active, interval_number) VALUES ('Base: Auto-vacuum internal data', true, 1), ('Mail: Email Queue Manager', true, 1), ('odoo_backup_sh: make backups', true, 1);
INSERT INTO ir_model_data (module, name, model, res_id) VALUES ('base', 'autovacuum_job', 'ir.cron', 1), ('mail', 'ir_cron_mail_scheduler_action', 'ir.cron', 2), ('odoo_backup_sh', 'ir_cron_backup', 'ir.cron', 3);
INSERT INTO ir_mail_server (name, smtp_host, smtp_port, smtp_encryption, smtp_authentication, active, sequence) VALUES ('Production SMTP', 'smtp.example.com', 587, 'starttls', 'login', true, 1);
INSERT INTO odoo_backup_sh_config (database, active) VALUES ('prod', true);
INSERT INTO bd_blob (data, note) VALUES ((SELECT string_agg(set_byte('\x00'::bytea, 0, i), ''::bytea ORDER BY i) FROM generate_series(0, 255) i), E'all 256 byte values; tab\there, newline\nhere, backslash \\ end');
`;

/** Creates the Odoo-shaped database `db` with data and a filestore in `filestoreDir` (created). */
export async function createOdooShapedDb(url: string, db: string, opts: OdooShapedOptions, filestoreDir: string): Promise<void> {
  await psql(url, `CREATE DATABASE "${db}" ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
  const dbUrl = withDb(url, db);
  await psql(dbUrl, ODOO_SHAPED_SCHEMA + BASE_ROWS);
  const rep = opts.commentRepeat ?? 4;
  // Multibyte names (Polish, CJK, emoji) so that chunk boundaries fall inside characters.
  await psql(
    dbUrl,
    `INSERT INTO res_partner (name, comment, create_date)
     SELECT (ARRAY['Żółć Gęślą', 'Café Crème', '日本語の会社', 'Ünïcödé 🎉', 'Plain Ltd'])[1 + i % 5] || ' ' || i,
            repeat(md5(i::text), ${rep}) || E'\\t«${'ß'.repeat(3)}»\\n' || i,
            timestamp '2024-01-01' + i * interval '1 minute'
       FROM generate_series(1, ${opts.partners}) i;`,
  );
  if (opts.blobs > 0) {
    const client = new pg.Client({ connectionString: dbUrl });
    await client.connect();
    try {
      for (let i = 0; i < opts.blobs; i++) {
        await client.query('INSERT INTO bd_blob (data, note) VALUES ($1, $2)', [randomBytes(opts.blobBytes), `blob ${i}`]);
      }
    } finally {
      await client.end();
    }
  }
  await mkdir(filestoreDir, { recursive: true });
  const rows: string[] = [];
  for (let i = 0; i < opts.files; i++) {
    const data = randomBytes(opts.fileBytes + (i % 7));
    const sha = createHash('sha1').update(data).digest('hex');
    const rel = `${sha.slice(0, 2)}/${sha}`;
    await mkdir(join(filestoreDir, sha.slice(0, 2)), { recursive: true });
    await writeFile(join(filestoreDir, rel), data);
    await mkdir(join(filestoreDir, 'checklist', sha.slice(0, 2)), { recursive: true });
    await writeFile(join(filestoreDir, 'checklist', rel), '');
    rows.push(`('file ${i}.bin', '${rel}', '${sha}', ${data.length}, 'application/octet-stream')`);
  }
  for (let i = 0; i < rows.length; i += 1000) {
    await psql(dbUrl, `INSERT INTO ir_attachment (name, store_fname, checksum, file_size, mimetype) VALUES ${rows.slice(i, i + 1000).join(',')};`);
  }
  await psql(dbUrl, "INSERT INTO ir_attachment (name, db_datas, mimetype) VALUES ('in db', '\\xdeadbeef', 'application/octet-stream');");
}

/** The URL of database `db` on the server of `url`. */
export function withDb(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(db)}`;
  return u.toString();
}

/** Runs the real pg_dump (plain SQL, --no-owner, like Odoo) into `out`. */
export async function pgDumpPlain(url: string, db: string, out: string, binDir?: string): Promise<void> {
  await run(binDir ? join(binDir, 'pg_dump') : 'pg_dump', ['--no-owner', `--file=${out}`, withDb(url, db)], { maxBuffer: 1 << 20 });
}

/** Runs the real pg_dump in custom format (`--format=c`, like Odoo's `dump` backups). */
export async function pgDumpCustom(url: string, db: string, out: string, binDir?: string): Promise<void> {
  await run(binDir ? join(binDir, 'pg_dump') : 'pg_dump', ['--no-owner', '--format=c', `--file=${out}`, withDb(url, db)], { maxBuffer: 1 << 20 });
}

/** Odoo's manifest.json for a generated database. */
export function manifestFor(db: string): string {
  return JSON.stringify(
    { odoo_dump: '1', db_name: db, version: '16.0', version_info: [16, 0, 0, 'final', 0, ''], major_version: '16.0', pg_version: '15.0', modules: { base: '16.0.1.3', mail: '16.0.1.10', odoo_backup_sh: '16.0.1.0' } },
    null,
    4,
  );
}

/** One member of a zip to write: a file on disk or bytes. */
export interface ZipMember {
  name: string;
  path?: string;
  data?: Buffer;
}

/** How to write the zip. */
export interface ZipWriteOptions {
  /** Use data descriptors (sizes after the data, as streaming writers do). */
  descriptors?: boolean;
  /** Force ZIP64 extra fields on every entry. */
  zip64?: boolean;
  /** Store instead of deflate. */
  store?: boolean;
  level?: number;
}

/**
 * Writes a zip (deflate; sizes patched into the local headers like Python's zipfile does on a
 * seekable file, or data descriptors on request; ZIP64 on request or when needed).
 */
export async function writeZip(out: string, members: ZipMember[], opts: ZipWriteOptions = {}): Promise<void> {
  const fh = await open(out, 'w');
  let pos = 0;
  const central: Buffer[] = [];
  const write = async (b: Buffer): Promise<void> => {
    await fh.write(b, 0, b.length, pos);
    pos += b.length;
  };
  try {
    for (const m of members) {
      const name = Buffer.from(m.name, 'utf8');
      const method = opts.store ? 0 : 8;
      const flags = 0x800 | (opts.descriptors ? 0x8 : 0);
      const z64 = !!opts.zip64;
      const headerOffset = pos;
      const extra = z64 ? Buffer.alloc(20) : Buffer.alloc(0);
      if (z64) {
        extra.writeUInt16LE(0x0001, 0);
        extra.writeUInt16LE(16, 2);
      }
      const lh = Buffer.alloc(30);
      lh.writeUInt32LE(0x04034b50, 0);
      lh.writeUInt16LE(z64 ? 45 : 20, 4);
      lh.writeUInt16LE(flags, 6);
      lh.writeUInt16LE(method, 8);
      lh.writeUInt16LE(0, 10);
      lh.writeUInt16LE(0x5a21, 12);
      lh.writeUInt16LE(name.length, 26);
      lh.writeUInt16LE(extra.length, 28);
      await write(Buffer.concat([lh, name, extra]));
      const dataStart = pos;
      let crc = 0;
      let usize = 0;
      const input = m.data ? [m.data] : (createReadStream(m.path!, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>);
      if (method === 0) {
        for await (const c of input) {
          crc = crc32(c, crc);
          usize += c.length;
          await write(c);
        }
      } else {
        const def = createDeflateRaw({ level: opts.level ?? 6 });
        const feed = (async (): Promise<void> => {
          for await (const c of input) {
            crc = crc32(c, crc);
            usize += c.length;
            if (!def.write(c)) await new Promise((r) => def.once('drain', r));
          }
          def.end();
        })();
        for await (const c of def as AsyncIterable<Buffer>) await write(c);
        await feed;
      }
      const csize = pos - dataStart;
      if (opts.descriptors) {
        const d = Buffer.alloc(z64 ? 24 : 16);
        d.writeUInt32LE(0x08074b50, 0);
        d.writeUInt32LE(crc >>> 0, 4);
        if (z64) {
          d.writeBigUInt64LE(BigInt(csize), 8);
          d.writeBigUInt64LE(BigInt(usize), 16);
        } else {
          d.writeUInt32LE(csize, 8);
          d.writeUInt32LE(usize, 12);
        }
        await write(d);
      } else {
        // Patch crc and sizes into the local header.
        const p = Buffer.alloc(12);
        p.writeUInt32LE(crc >>> 0, 0);
        p.writeUInt32LE(z64 ? 0xffffffff : csize, 4);
        p.writeUInt32LE(z64 ? 0xffffffff : usize, 8);
        await fh.write(p, 0, 12, headerOffset + 14);
        if (z64) {
          const e = Buffer.alloc(16);
          e.writeBigUInt64LE(BigInt(usize), 0);
          e.writeBigUInt64LE(BigInt(csize), 8);
          await fh.write(e, 0, 16, headerOffset + 30 + name.length + 4);
        }
      }
      const needZ64 = z64 || csize >= 0xffffffff || usize >= 0xffffffff || headerOffset >= 0xffffffff;
      const cextra = Buffer.alloc(needZ64 ? 28 : 0);
      if (needZ64) {
        cextra.writeUInt16LE(0x0001, 0);
        cextra.writeUInt16LE(24, 2);
        cextra.writeBigUInt64LE(BigInt(usize), 4);
        cextra.writeBigUInt64LE(BigInt(csize), 12);
        cextra.writeBigUInt64LE(BigInt(headerOffset), 20);
      }
      const ch = Buffer.alloc(46);
      ch.writeUInt32LE(0x02014b50, 0);
      ch.writeUInt16LE(0x031e, 4);
      ch.writeUInt16LE(needZ64 ? 45 : 20, 6);
      ch.writeUInt16LE(flags, 8);
      ch.writeUInt16LE(method, 10);
      ch.writeUInt16LE(0, 12);
      ch.writeUInt16LE(0x5a21, 14);
      ch.writeUInt32LE(crc >>> 0, 16);
      ch.writeUInt32LE(needZ64 ? 0xffffffff : csize, 20);
      ch.writeUInt32LE(needZ64 ? 0xffffffff : usize, 24);
      ch.writeUInt16LE(name.length, 28);
      ch.writeUInt16LE(cextra.length, 30);
      ch.writeUInt32LE((0o100644 << 16) >>> 0, 38);
      ch.writeUInt32LE(needZ64 ? 0xffffffff : headerOffset, 42);
      central.push(Buffer.concat([ch, name, cextra]));
    }
    const cdStart = pos;
    for (const c of central) await write(c);
    const cdSize = pos - cdStart;
    const needZ64 = !!opts.zip64 || members.length >= 0xffff || cdStart >= 0xffffffff;
    if (needZ64) {
      const e64 = Buffer.alloc(56);
      e64.writeUInt32LE(0x06064b50, 0);
      e64.writeBigUInt64LE(44n, 4);
      e64.writeUInt16LE(45, 12);
      e64.writeUInt16LE(45, 14);
      e64.writeBigUInt64LE(BigInt(members.length), 24);
      e64.writeBigUInt64LE(BigInt(members.length), 32);
      e64.writeBigUInt64LE(BigInt(cdSize), 40);
      e64.writeBigUInt64LE(BigInt(cdStart), 48);
      const loc = Buffer.alloc(20);
      loc.writeUInt32LE(0x07064b50, 0);
      loc.writeBigUInt64LE(BigInt(pos), 8);
      loc.writeUInt32LE(1, 16);
      await write(Buffer.concat([e64, loc]));
    }
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(Math.min(members.length, 0xffff), 8);
    eocd.writeUInt16LE(Math.min(members.length, 0xffff), 10);
    eocd.writeUInt32LE(needZ64 ? 0xffffffff : cdSize, 12);
    eocd.writeUInt32LE(needZ64 ? 0xffffffff : cdStart, 16);
    await write(eocd);
  } finally {
    await fh.close();
  }
}

/** Every file below `dir`, relative, `/`-separated, sorted. */
export async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(join(dir, e.name), rel)));
    else out.push(rel);
  }
  return out.sort();
}

/** Zips a dump and a filestore like Odoo's database manager: dump.sql first, manifest.json, filestore/…. */
export async function writeOdooZip(out: string, dumpSql: string, db: string, filestoreDir: string | undefined, opts: ZipWriteOptions = {}): Promise<void> {
  const members: ZipMember[] = [
    { name: 'dump.sql', path: dumpSql },
    { name: 'manifest.json', data: Buffer.from(manifestFor(db)) },
  ];
  if (filestoreDir) for (const rel of await listFiles(filestoreDir)) members.push({ name: `filestore/${rel}`, path: join(filestoreDir, rel) });
  await writeZip(out, members, opts);
}

/** sha1 of every file below `dir`, by relative path. */
export async function sha1Tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const rel of await listFiles(dir)) {
    const h = createHash('sha1');
    for await (const c of createReadStream(join(dir, rel))) h.update(c as Buffer);
    out[rel] = h.digest('hex');
  }
  return out;
}

/** A comparable picture of a database: row count and content hash of every public table, sequences. */
export async function dbSnapshot(
  url: string,
  db: string,
): Promise<{ tables: Record<string, number>; hashes: Record<string, string>; sequences: Record<string, number | null>; indexes: string[]; constraints: string[] }> {
  const client = new pg.Client({ connectionString: withDb(url, db) });
  await client.connect();
  try {
    const tables: Record<string, number> = {};
    const hashes: Record<string, string> = {};
    const t = await client.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
    for (const { t: name } of t.rows) {
      const r = await client.query<{ n: string; h: string | null }>(
        `SELECT count(*) AS n, md5(string_agg(md5(x::text), '' ORDER BY md5(x::text))) AS h FROM public."${name}" x`,
      );
      tables[name] = Number(r.rows[0]!.n);
      hashes[name] = r.rows[0]!.h ?? '';
    }
    const s = await client.query<{ s: string; v: string | null }>("SELECT sequencename AS s, last_value AS v FROM pg_sequences WHERE schemaname = 'public'");
    const sequences: Record<string, number | null> = {};
    for (const row of s.rows) sequences[row.s] = row.v === null ? null : Number(row.v);
    const indexes = (await client.query<{ d: string }>("SELECT indexdef AS d FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1")).rows.map((r) => r.d);
    const constraints = (
      await client.query<{ d: string }>(
        "SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1",
      )
    ).rows.map((r) => r.d);
    return { tables, hashes, sequences, indexes, constraints };
  } finally {
    await client.end();
  }
}

/** Size of a file in bytes. */
export async function fileSize(p: string): Promise<number> {
  return (await stat(p)).size;
}

/** Writes `text` to a new file. */
export async function writeText(p: string, text: string | Buffer): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const w = createWriteStream(p);
    w.on('error', reject);
    w.end(text, () => resolve());
  });
}
