/**
 * What a dump statement is and which tables it locks, as the dump names them: the loader runs
 * index and key builds on parallel workers, starts a table's builds once its COPY is done
 * (early-builds.ts) and runs foreign keys and comments beside the builds of other tables
 * (beside-builds.ts).
 */

const IDENT = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;
const QUALIFIED = String.raw`${IDENT}(?:\.${IDENT})?`;
const COPY_TABLE = new RegExp(String.raw`^COPY\s+(${QUALIFIED})\s`);
const INDEX_TABLE = new RegExp(String.raw`^CREATE\s+(?:UNIQUE\s+)?INDEX\s+${IDENT}\s+ON\s+(?:ONLY\s+)?(${QUALIFIED})\s`, 'i');
const KEY_TABLE = new RegExp(String.raw`^ALTER\s+TABLE\s+(?:ONLY\s+)?(${QUALIFIED})\s+ADD\s+CONSTRAINT\s+${IDENT}\s+(?:PRIMARY\s+KEY|UNIQUE)\s`, 'i');
const FK_TABLES = new RegExp(
  String.raw`^ALTER\s+TABLE\s+(?:ONLY\s+)?(${QUALIFIED})\s+ADD\s+CONSTRAINT\s+${IDENT}\s+FOREIGN\s+KEY\s*\([^)]*\)\s*REFERENCES\s+(?:ONLY\s+)?(${QUALIFIED})\s*\(`,
  'i',
);
const COMMENT_ON_CONSTRAINT = new RegExp(String.raw`^COMMENT\s+ON\s+CONSTRAINT\s+${IDENT}\s+ON\s+(?!DOMAIN\s)(${QUALIFIED})\s+IS\s`, 'i');

/**
 * What kind of post-data statement `text` is: an index build (a CREATE INDEX, a PRIMARY KEY or
 * UNIQUE constraint: each locks one table and may run beside the others), a foreign key, or
 * neither (undefined).
 */
export function parallelClass(text: string): 'index' | 'fk' | undefined {
  if (/^CREATE\s+(UNIQUE\s+)?INDEX\s+(?!CONCURRENTLY)/i.test(text)) return 'index';
  const m = /^ALTER\s+TABLE\s+(?:ONLY\s+)?[^;]*?\s+ADD\s+CONSTRAINT\s+\S+\s+(PRIMARY\s+KEY|UNIQUE|FOREIGN\s+KEY)\s/i.exec(text);
  if (!m || text.indexOf(';') !== text.length - 1) return undefined;
  return /^FOREIGN/i.test(m[1]!) ? 'fk' : 'index';
}

/** The table a `COPY … FROM stdin` loads, as the dump names it. */
export function copyTable(text: string): string | undefined {
  return COPY_TABLE.exec(text)?.[1];
}

/** The one table an index build or PRIMARY KEY/UNIQUE constraint is on, as the dump names it; undefined for anything else. */
export function buildTable(text: string): string | undefined {
  if (parallelClass(text) !== 'index') return undefined;
  return (INDEX_TABLE.exec(text) ?? KEY_TABLE.exec(text))?.[1];
}

/** A post-data statement that need not wait for every build, only for those on its own tables. */
export interface BesideStatement {
  /** A foreign key, a comment, or pg_dump's late `CREATE OR REPLACE VIEW` (a view that needs a primary key). */
  readonly kind: 'fk' | 'comment' | 'view';
  /** The tables it locks or needs, as the dump names them; undefined when they cannot be told from its text. */
  readonly tables: readonly string[] | undefined;
}

/** What `text` is as a statement that may run beside the builds of other tables; undefined for any other. */
export function besideStatement(text: string): BesideStatement | undefined {
  if (parallelClass(text) === 'fk') {
    const m = FK_TABLES.exec(text);
    return { kind: 'fk', tables: m ? [m[1]!, m[2]!] : undefined };
  }
  if (/^COMMENT\s+ON\s/i.test(text)) {
    const m = COMMENT_ON_CONSTRAINT.exec(text);
    return { kind: 'comment', tables: m ? [m[1]!] : undefined };
  }
  if (/^CREATE\s+OR\s+REPLACE\s+VIEW\s/i.test(text)) return { kind: 'view', tables: undefined };
  return undefined;
}
