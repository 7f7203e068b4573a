/** SQL errors of a dump load, named with the statement and its dump line, with a hint chosen by SQLSTATE. */
import { AppError } from '../errors';

/** The fields of a PostgreSQL error the loader looks at. */
export interface PgErrorLike {
  code?: string;
  message?: string;
  detail?: string;
  hint?: string;
  where?: string;
}

/** Short form of a statement for messages. */
export function statementPreview(text: string, max = 200): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

/** The `AppError` for a statement that failed at `line` of `dumpName` (an `AppError` passes through). */
export function sqlError(err: unknown, text: string, line: number, dumpName: string): AppError {
  if (err instanceof AppError) return err;
  const e = err as PgErrorLike;
  const code = e.code;
  let hint = 'The dump does not load into this server; fix the cause named above (or restore into a server like the one the backup came from).';
  if (code === '42704' && /role/i.test(e.message ?? '')) hint = 'Create the missing role on the target server (CREATE ROLE …), then restore again.';
  else if (code === '42501') hint = 'Restore with a PostgreSQL role that owns the database and may create extensions (a superuser, or the database owner on PostgreSQL 13+).';
  else if (code === '0A000' || code === '58P01') hint = 'The server lacks a feature or extension the dump needs; install it (e.g. the postgresql-contrib package) or use a newer PostgreSQL.';
  else if (code === '22021') hint = 'The dump holds bytes that are not valid in its declared encoding.';
  const details = [e.detail, e.where].filter(Boolean).join('; ');
  return new AppError(
    'Fatal',
    `SQL error at line ${line} of ${dumpName}: ${e.message ?? String(err)}${details ? ` (${details})` : ''}. Statement: ${statementPreview(text)}`,
    { hint, cause: err, details: { line, statement: statementPreview(text), ...(code ? { sqlState: code } : {}) } },
  );
}
