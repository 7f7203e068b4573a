/**
 * The real Odoo backups the tests compare against: every fixture folder in `$ODOO_FIXTURES_DIR`
 * (a folder of backups, or a folder of such folders) and in `../shared/fixtures/` beside the
 * repository, each backup with its `*.expected.json`. Never copied into the repository.
 */
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One real backup with its expected results. */
export interface FixtureBackup {
  /** Base name without extension, e.g. `acme_small_zip`. */
  name: string;
  /** The backup file. */
  file: string;
  /** Its `*.expected.json`. */
  expected: string;
  /** The folder it is in. */
  dir: string;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function holdsBackups(dir: string): boolean {
  return readdirSync(dir).some((f) => f.endsWith('.expected.json'));
}

function subdirs(dir: string): string[] {
  return readdirSync(dir)
    .map((f) => join(dir, f))
    .filter((p) => statSync(p).isDirectory());
}

function expand(dir: string | undefined): string[] {
  if (!dir || !existsSync(dir) || !statSync(dir).isDirectory()) return [];
  if (holdsBackups(dir)) return [dir];
  return subdirs(dir).filter(holdsBackups);
}

/** Every fixture folder there is (deduplicated, sorted). */
export function fixtureDirs(): string[] {
  const env = process.env.ODOO_FIXTURES_DIR;
  const all = [...expand(env), ...expand(env ? dirname(env) : undefined), ...expand(join(repoRoot, '..', 'shared', 'fixtures'))];
  return [...new Set(all.map((d) => realpathSync(d)))].sort();
}

/** Every fixture backup in every fixture folder. */
export function fixtureBackups(): FixtureBackup[] {
  return fixtureDirs().flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.expected.json'))
      .map((f) => f.slice(0, -'.expected.json'.length))
      .flatMap((name) => {
        const file = readdirSync(dir).find((f) => f.startsWith(`${name}.`) && !f.endsWith('.json'));
        return file ? [{ name, file: join(dir, file), expected: join(dir, `${name}.expected.json`), dir }] : [];
      }),
  );
}

/** The folder holding a given fixture file (e.g. `acme_small_zip.zip`), or undefined without fixtures. */
export function fixtureDirWith(file: string): string | undefined {
  return fixtureDirs().find((d) => existsSync(join(d, file)));
}
