/**
 * What makes a restored database a working Odoo database, checked by a restore drill:
 * the module table reads, the admin user exists, and every attachment stored in the filestore
 * has its file there with the SHA-1 Odoo recorded for it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { throwIfAborted } from '../errors';

/** One check's outcome. */
export interface DrillCheck {
  readonly name: 'modules' | 'admin-user' | 'filestore';
  readonly ok: boolean;
  readonly message: string;
  /** For `filestore`: the attachments whose file is missing or differs (at most 20). */
  readonly problems?: string[];
}

/** SHA-1 of a file, streamed; undefined when it does not exist. */
async function fileSha1(path: string): Promise<string | undefined> {
  const h = createHash('sha1');
  try {
    for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return h.digest('hex');
}

/** The module table reads and lists installed modules. */
export async function checkModules(client: pg.Client): Promise<DrillCheck> {
  try {
    const r = await client.query<{ n: string; base: string }>("SELECT count(*) AS n, count(*) FILTER (WHERE name = 'base') AS base FROM ir_module_module WHERE state = 'installed'");
    const n = Number(r.rows[0]?.n ?? 0);
    const base = Number(r.rows[0]?.base ?? 0) === 1;
    return { name: 'modules', ok: n > 0 && base, message: base ? `${n} installed modules, base among them` : `${n} installed modules, but not base: not a working Odoo database` };
  } catch (err) {
    return { name: 'modules', ok: false, message: `The module table cannot be read: ${(err as Error).message}` };
  }
}

/** The admin user (`base.user_admin`, else id 2) exists. */
export async function checkAdminUser(client: pg.Client): Promise<DrillCheck> {
  try {
    const r = await client.query<{ login: string }>(
      `SELECT u.login FROM res_users u
        WHERE u.id = COALESCE((SELECT res_id FROM ir_model_data WHERE module = 'base' AND name = 'user_admin' AND model = 'res.users'), 2)`,
    );
    const login = r.rows[0]?.login;
    return login !== undefined ? { name: 'admin-user', ok: true, message: `admin user "${login}" exists` } : { name: 'admin-user', ok: false, message: 'The admin user (base.user_admin) is missing.' };
  } catch (err) {
    return { name: 'admin-user', ok: false, message: `The users table cannot be read: ${(err as Error).message}` };
  }
}

/** Every attachment stored in the filestore has its file, with the recorded SHA-1. */
export async function checkFilestore(client: pg.Client, filestore: string, signal?: AbortSignal): Promise<DrillCheck> {
  const r = await client.query<{ id: number; store_fname: string; checksum: string | null }>(
    "SELECT id, store_fname, checksum FROM ir_attachment WHERE store_fname IS NOT NULL AND store_fname <> '' AND store_fname NOT LIKE '%://%' ORDER BY id",
  );
  const problems: string[] = [];
  let bad = 0;
  for (const row of r.rows) {
    throwIfAborted(signal, 'The drill');
    const sha1 = await fileSha1(join(filestore, row.store_fname));
    const problem = sha1 === undefined ? 'missing' : row.checksum && sha1 !== row.checksum ? `sha1 ${sha1} ≠ recorded ${row.checksum}` : undefined;
    if (problem === undefined) continue;
    bad++;
    if (problems.length < 20) problems.push(`attachment ${row.id} (${row.store_fname}): ${problem}`);
  }
  const total = r.rows.length;
  return bad === 0
    ? { name: 'filestore', ok: true, message: `${total} filestore attachments present, SHA-1 verified` }
    : { name: 'filestore', ok: false, message: `${bad} of ${total} filestore attachments are missing or differ`, problems };
}

/** For a backup that holds the database only: says how many attachments' files it leaves out (not a failure). */
export async function noFilestore(client: pg.Client): Promise<DrillCheck> {
  const r = await client.query<{ n: string }>("SELECT count(*) AS n FROM ir_attachment WHERE store_fname IS NOT NULL AND store_fname <> '' AND store_fname NOT LIKE '%://%'");
  const n = Number(r.rows[0]?.n ?? 0);
  return { name: 'filestore', ok: true, message: `not part of this backup, which holds the database only (a .dump, an SQL dump or a zip made without it)${n > 0 ? `: the files of ${n} attachments are not in it` : ''}` };
}
