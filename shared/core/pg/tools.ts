/**
 * Finding PostgreSQL client tools (pg_restore, psql) and matching them to custom-format archives.
 * The newest tool found wins: on PATH, Debian/Ubuntu `/usr/lib/postgresql/<v>/bin`, RHEL
 * `/usr/pgsql-<v>/bin`, Homebrew and Postgres.app paths, Windows program folders.
 */
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '../errors';
import { isExecutable } from '../util/fs';

const run = promisify(execFile);

/** A located tool. */
export interface PgTool {
  readonly path: string;
  /** Major version, e.g. 15. */
  readonly major: number;
  /** Full version text, e.g. `15.18`. */
  readonly version: string;
}


async function subdirs(root: string): Promise<string[]> {
  try {
    return await readdir(root);
  } catch {
    return [];
  }
}

/** Every directory where PostgreSQL client binaries may live on this machine. */
export async function candidateBinDirs(): Promise<string[]> {
  const dirs = new Set<string>();
  if (process.env.PG_BIN_DIR) dirs.add(process.env.PG_BIN_DIR);
  for (const d of (process.env.PATH ?? '').split(delimiter)) if (d) dirs.add(d);
  for (const v of await subdirs('/usr/lib/postgresql')) dirs.add(join('/usr/lib/postgresql', v, 'bin'));
  for (const v of await subdirs('/usr')) if (/^pgsql-\d+/.test(v)) dirs.add(join('/usr', v, 'bin'));
  for (const root of ['/opt/homebrew/opt', '/usr/local/opt']) {
    for (const v of await subdirs(root)) if (/^(postgresql|libpq)(@\d+)?$/.test(v)) dirs.add(join(root, v, 'bin'));
  }
  for (const v of await subdirs('/Applications/Postgres.app/Contents/Versions')) dirs.add(join('/Applications/Postgres.app/Contents/Versions', v, 'bin'));
  if (process.platform === 'win32') {
    const pf = process.env.ProgramFiles ?? 'C:\\Program Files';
    for (const v of await subdirs(join(pf, 'PostgreSQL'))) dirs.add(join(pf, 'PostgreSQL', v, 'bin'));
  }
  return [...dirs];
}

/** Parses `pg_restore (PostgreSQL) 15.18 (Debian …)` into major and version. */
export function parseToolVersion(out: string): { major: number; version: string } | undefined {
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(out);
  if (!m) return undefined;
  const first = Number(m[1]);
  const major = first >= 10 ? first : Number(`${first}.${m[2] ?? 0}`);
  return { major, version: [m[1], m[2], m[3]].filter((x) => x !== undefined).join('.') };
}

/** The newest copy of `name` (e.g. `pg_restore`) in `dirs` (default: this machine's usual places), or undefined. */
export async function findNewestPgTool(name: string, dirs?: readonly string[]): Promise<PgTool | undefined> {
  const exe = process.platform === 'win32' ? `${name}.exe` : name;
  const seen = new Set<string>();
  let best: PgTool | undefined;
  for (const dir of dirs ?? (await candidateBinDirs())) {
    const p = join(dir, exe);
    if (seen.has(p) || !(await isExecutable(p))) continue;
    seen.add(p);
    try {
      const { stdout } = await run(p, ['--version'], { timeout: 10_000 });
      const v = parseToolVersion(stdout);
      if (v && (!best || v.major > best.major)) best = { path: p, ...v };
    } catch {
      /* not runnable */
    }
  }
  return best;
}

/** The oldest PostgreSQL major whose pg_restore reads custom-format archive version `major.minor`. */
export function minPgRestoreFor(archive: { major: number; minor: number }): number {
  if (archive.major !== 1) return Number.POSITIVE_INFINITY;
  if (archive.minor >= 16) return 17;
  if (archive.minor === 15) return 16;
  if (archive.minor === 14) return 12;
  if (archive.minor === 13) return 11;
  return 9;
}

/** The Debian/Ubuntu package that provides client tools of `major`. */
export function clientPackageFor(major: number): string {
  return `postgresql-client-${major}`;
}

/**
 * The newest pg_restore, checked against the archive version; `MissingTool` naming the package to
 * install when there is none or it is too old.
 */
export async function requirePgRestore(archive?: { major: number; minor: number }): Promise<PgTool> {
  const need = archive ? minPgRestoreFor(archive) : 0;
  const tool = await findNewestPgTool('pg_restore');
  const pkgMajor = Math.max(need, 12);
  if (!tool) {
    throw new AppError('MissingTool', 'Restoring a pg_dump custom-format backup (.dump) needs pg_restore, which was not found.', {
      hint: `Install the PostgreSQL client tools, e.g. "sudo apt-get install ${clientPackageFor(Math.max(pkgMajor, 15))}" (Debian/Ubuntu), "brew install libpq" (macOS), or set PG_BIN_DIR.`,
    });
  }
  if (tool.major < need) {
    const v = archive ? `${archive.major}.${archive.minor}` : '?';
    throw new AppError('MissingTool', `This dump (archive version ${v}) needs pg_restore ${need} or newer; the newest found is ${tool.version} (${tool.path}).`, {
      hint: `Install newer client tools, e.g. "sudo apt-get install ${clientPackageFor(need)}" (Debian/Ubuntu, from apt.postgresql.org), or set PG_BIN_DIR.`,
      details: { archiveVersion: v, found: tool.version },
    });
  }
  return tool;
}
