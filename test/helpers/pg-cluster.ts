/**
 * A throwaway PostgreSQL cluster for tests: the system's initdb/pg_ctl in a temp dir on a
 * free loopback port, torn down afterwards. When `TEST_PG_URL` is set, that server is used
 * instead (it must allow CREATE DATABASE).
 */
import { execFile, spawn } from 'node:child_process';
import { chmod, chown, mkdtemp, rm, readdir, access } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A running test server. */
export interface PgCluster {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Directory with the server binaries (initdb, pg_ctl, psql…), when we started it. */
  readonly binDir: string | undefined;
  /** A URL for database `db` on this server. */
  urlFor(db: string): string;
  stop(): Promise<void>;
}

/** Finds a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** The newest PostgreSQL server bin dir on this machine, or undefined. */
export async function findPgBinDir(): Promise<string | undefined> {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  const roots = ['/usr/lib/postgresql', '/usr/local/pgsql', '/opt/homebrew/opt'];
  for (const root of roots) {
    try {
      const versions = (await readdir(root)).filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a));
      for (const v of versions) {
        const dir = join(root, v, 'bin');
        try {
          await access(join(dir, 'pg_ctl'));
          return dir;
        } catch {
          /* try next */
        }
      }
    } catch {
      /* no such root */
    }
  }
  return undefined;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

async function asPg(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (isRoot) await run('runuser', ['-u', 'postgres', '--', cmd, ...args], { env });
  else await run(cmd, args, { env });
}

/** Options of `startPgCluster`. */
export interface PgClusterOptions {
  /** The server's default durability (fsync, synchronous_commit, full_page_writes on), as users have; benchmarks use it. */
  durable?: boolean;
}

/** Starts a throwaway cluster (or wraps `TEST_PG_URL`). */
export async function startPgCluster(o: PgClusterOptions = {}): Promise<PgCluster> {
  const external = process.env.TEST_PG_URL;
  if (external) {
    const u = new URL(external);
    const urlFor = (db: string): string => {
      const x = new URL(external);
      x.pathname = `/${encodeURIComponent(db)}`;
      return x.toString();
    };
    return {
      url: external,
      host: u.hostname,
      port: Number(u.port || 5432),
      user: decodeURIComponent(u.username || 'postgres'),
      binDir: await findPgBinDir(),
      urlFor,
      stop: async () => undefined,
    };
  }
  const binDir = await findPgBinDir();
  if (!binDir) throw new Error('No PostgreSQL server binaries found: apt-get install postgresql (or set TEST_PG_URL).');
  const base = await mkdtemp(join(tmpdir(), 'bd-pg-'));
  const dataDir = join(base, 'data');
  const sockDir = base;
  if (isRoot) {
    await chown(base, await pgUid(), await pgGid());
  }
  await chmod(base, 0o700);
  await asPg(join(binDir, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--locale=C']);
  const port = await freePort();
  const fast = o.durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off';
  const opts = `-p ${port} -k ${sockDir} -c listen_addresses=127.0.0.1${fast} -c max_connections=60 -c shared_buffers=128MB`;
  await asPg(join(binDir, 'pg_ctl'), ['-D', dataDir, '-o', opts, '-l', join(base, 'log'), '-w', 'start']);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    host: '127.0.0.1',
    port,
    user: 'postgres',
    binDir,
    urlFor: (db) => `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(db)}`,
    stop: async () => {
      try {
        await asPg(join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } finally {
        await rm(base, { recursive: true, force: true });
      }
    },
  };
}

async function pgUid(): Promise<number> {
  const { stdout } = await run('id', ['-u', 'postgres']);
  return Number(stdout.trim());
}

async function pgGid(): Promise<number> {
  const { stdout } = await run('id', ['-g', 'postgres']);
  return Number(stdout.trim());
}

/** Runs `psql` against a URL and returns stdout (for test setup with the real client). */
export async function psql(url: string, sql: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-At', url], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`psql failed (${code}): ${err}`))));
    p.stdin.end(sql);
  });
}
