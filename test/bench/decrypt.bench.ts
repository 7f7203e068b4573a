/**
 * Decrypt benchmark: our streaming decrypt (`decryptStream`, what `download --decrypt` and
 * the restore's decrypt stage run) vs `gpg --decrypt -o /dev/null` on the same gpg-made files
 * (symmetric AES-256): gpg's default ZLIB on SQL-like text and on already-compressed bytes
 * (an encrypted zip), uncompressed, and armored. Throughput is MiB of plaintext per second,
 * best of ≥ 3 rounds that alternate gpg and ours; peak RSS of each, every run in its own
 * child process (`process.resourceUsage().maxRSS` for ours, `/usr/bin/time -v` for gpg).
 * Our output is checked against the plaintext's sha256 once per case, outside the timing.
 *
 *   npx tsx test/bench/decrypt.bench.ts                      # 512 MiB per case, 3 rounds
 *   BENCH_MB=1024 BENCH_ROUNDS=5 BENCH_CASES=0,2 npx tsx test/bench/decrypt.bench.ts
 *
 * `--child FILE [--verify]` is the measuring child: it reads the passphrase from stdin (never
 * argv), decrypts FILE to nowhere and prints JSON {bytes, ms, maxRssMB, sha256?}. The memory
 * test in test/integration/crypto uses it too.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { decryptStream } from '../../shared/core/crypto';

const PASSPHRASE = 'bench passphrase';
const SELF = fileURLToPath(import.meta.url);

/** What the measuring child reports. */
export interface ChildReport {
  bytes: number;
  ms: number;
  maxRssMB: number;
  sha256?: string;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString().replace(/\n$/, '');
}

async function child(file: string, verify: boolean): Promise<void> {
  const passphrase = await readStdin();
  const t0 = performance.now();
  const hash = verify ? createHash('sha256') : undefined;
  let bytes = 0;
  const plain = await decryptStream(createReadStream(file, { highWaterMark: 256 * 1024 }), { passphrase });
  await pipeline(
    plain,
    new Writable({
      write(chunk: Buffer, _e, cb) {
        bytes += chunk.length;
        hash?.update(chunk);
        cb();
      },
    }),
  );
  const ms = performance.now() - t0;
  const report: ChildReport = { bytes, ms, maxRssMB: process.resourceUsage().maxRSS / 1024, ...(hash ? { sha256: hash.digest('hex') } : {}) };
  process.stdout.write(JSON.stringify(report) + '\n');
}

/** Runs the measuring child on `file` (passphrase on stdin) and returns its report. */
export function measureOurDecrypt(file: string, passphrase: string, verify = false): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['--import', 'tsx', SELF, '--child', file, ...(verify ? ['--verify'] : [])], {
      stdio: ['pipe', 'pipe', 'pipe'],
      cwd: join(SELF, '..', '..', '..'),
    });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('error', reject);
    c.on('close', (code) => {
      if (code !== 0) return reject(new Error(`decrypt child failed (${code}): ${err}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as ChildReport);
    });
    c.stdin.end(passphrase + '\n');
  });
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, stdin: string): Promise<{ code: number; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const c = spawn(cmd, args, { env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code: code ?? -1, stderr, ms: performance.now() - t0 }));
    c.stdin.end(stdin);
  });
}

/** The kinds of plaintext: random bytes (a zip, already compressed) or SQL-like dump text. */
type Kind = 'random' | 'sql';

/** 8 MiB of varied COPY rows, as in a pg_dump of an Odoo database (compresses ~4–6× with ZLIB). */
function sqlBlock(): Buffer {
  const words = ['Acme', 'Corp', 'Azure', 'Interior', 'Deco', 'Addict', 'Gemini', 'Furniture', 'Ready', 'Mat', 'Lumber', 'Inc', 'Wood', 'Corner', 'Jackson', 'Group'];
  const rnd = (n: number): number => Math.floor(Math.random() * n);
  const lines: string[] = [];
  let size = 0;
  for (let id = 1; size < 8 << 20; id++) {
    const name = `${words[rnd(16)]} ${words[rnd(16)]} ${rnd(100000)}`;
    const line = `${id}\t${name}\t${name.toLowerCase().replace(/ /g, '.')}@example.com\t+32 ${rnd(1e9)}\t2024-${1 + rnd(12)}-${1 + rnd(28)} ${rnd(24)}:${rnd(60)}:${rnd(60)}\t${rnd(1e6) / 100}\tt\t\\N\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, 8 << 20);
}

/** Writes `mb` MiB of plaintext of the given kind; returns its sha256. */
async function writePlain(path: string, mb: number, kind: Kind): Promise<string> {
  const hash = createHash('sha256');
  const sql = kind === 'sql' ? sqlBlock() : undefined;
  const ws = createWriteStream(path);
  for (let i = 0; i < mb; i += 8) {
    const chunk = sql ?? randomBytes(8 << 20);
    hash.update(chunk);
    if (!ws.write(chunk)) await new Promise<void>((r) => ws.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => ws.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return hash.digest('hex');
}

interface Case {
  name: string;
  kind: Kind;
  compress: 'none' | 'ZLIB';
  armor: boolean;
  target: number;
}

const CASES: Case[] = [
  { name: 'ZLIB, SQL text (gpg default)', kind: 'sql', compress: 'ZLIB', armor: false, target: 1.0 },
  { name: 'ZLIB, already compressed', kind: 'random', compress: 'ZLIB', armor: false, target: 1.0 },
  { name: 'uncompressed', kind: 'random', compress: 'none', armor: false, target: 0.8 },
  { name: 'armored, ZLIB, SQL text', kind: 'sql', compress: 'ZLIB', armor: true, target: 0.8 },
  { name: 'armored, ZLIB, already compr.', kind: 'random', compress: 'ZLIB', armor: true, target: 0.8 },
];

const gpgPw = ['--batch', '--no-tty', '--pinentry-mode', 'loopback', '--passphrase-fd', '0'];

/** One timed `gpg --decrypt` to /dev/null: wall ms and peak RSS (MB). */
async function timeGpg(enc: string, env: NodeJS.ProcessEnv): Promise<{ ms: number; rssMB: number }> {
  const g = await run('/usr/bin/time', ['-v', 'gpg', ...gpgPw, '-o', '/dev/null', '--decrypt', enc], env, PASSPHRASE);
  if (g.code !== 0) throw new Error(g.stderr);
  return { ms: g.ms, rssMB: Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(g.stderr)?.[1] ?? NaN) / 1024 };
}

/** Encrypts a fresh plaintext for `c`, checks our output once, then times gpg and ours in alternating rounds. */
async function benchCase(c: Case, dir: string, env: NodeJS.ProcessEnv, mb: number, rounds: number): Promise<string> {
  const plain = join(dir, 'plain.bin');
  const enc = join(dir, c.armor ? 'msg.asc' : 'msg.gpg');
  process.stderr.write(`[${c.name}] ${mb} MiB plaintext, gpg --symmetric…\n`);
  const sha = await writePlain(plain, mb, c.kind);
  const armor = c.armor ? ['--armor'] : [];
  const e = await run('gpg', [...gpgPw, ...armor, '--cipher-algo', 'AES256', '--compress-algo', c.compress, '--symmetric', '-o', enc, plain], env, PASSPHRASE);
  if (e.code !== 0) throw new Error(e.stderr);
  await rm(plain);
  const encMB = (await stat(enc)).size / 2 ** 20;
  const check = await measureOurDecrypt(enc, PASSPHRASE, true);
  if (check.sha256 !== sha) throw new Error(`${c.name}: our plaintext differs from the original`);
  let gpgBest = { ms: Infinity, rssMB: 0 };
  let oursBest = { ms: Infinity, maxRssMB: 0 };
  let oursPeak = check.maxRssMB;
  for (let r = 0; r < rounds; r++) {
    const g = await timeGpg(enc, env);
    if (g.ms < gpgBest.ms) gpgBest = g;
    const o = await measureOurDecrypt(enc, PASSPHRASE);
    oursPeak = Math.max(oursPeak, o.maxRssMB);
    if (o.ms < oursBest.ms) oursBest = o;
    process.stderr.write(`  round ${r + 1}: gpg ${(g.ms / 1000).toFixed(2)} s, ours ${(o.ms / 1000).toFixed(2)} s\n`);
  }
  await rm(enc);
  const plainMB = check.bytes / 2 ** 20;
  const gpgMBs = plainMB / (gpgBest.ms / 1000);
  const ourMBs = plainMB / (oursBest.ms / 1000);
  const ratio = ourMBs / gpgMBs;
  return (
    `| ${c.name} | ${plainMB.toFixed(0)} MiB (file ${encMB.toFixed(0)} MiB) | ${gpgMBs.toFixed(0)} MB/s | ${ourMBs.toFixed(0)} MB/s | ` +
    `**${ratio.toFixed(2)}** (target ≥ ${c.target.toFixed(1)}${ratio >= c.target ? ', met' : ', NOT met'}) | ${oursPeak.toFixed(0)} MB | ${gpgBest.rssMB.toFixed(0)} MB |`
  );
}

async function bench(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'decbench-'));
  const gnupghome = await mkdtemp(join(tmpdir(), 'gh-'));
  const env = { ...process.env, GNUPGHOME: gnupghome, LC_ALL: 'C' };
  const mb = Number(process.env.BENCH_MB ?? 512);
  const rounds = Math.max(3, Number(process.env.BENCH_ROUNDS ?? 3));
  const only = process.env.BENCH_CASES?.split(',').map(Number);
  const rows: string[] = [];
  try {
    for (const [i, c] of CASES.entries()) {
      if (only && !only.includes(i)) continue;
      rows.push(await benchCase(c, dir, env, mb, rounds));
      process.stderr.write(rows.at(-1)! + '\n');
    }
  } finally {
    await run('gpgconf', ['--kill', 'all'], env, '').catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    await rm(gnupghome, { recursive: true, force: true });
  }
  console.log(`\nDecrypt: best of ${rounds} alternating rounds, MiB of plaintext per second (AES-256, gpg ${gpgVersion()})`);
  console.log('| message | size | gpg --decrypt | ours | ours ÷ gpg | our peak RSS | gpg RSS |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) console.log(r);
}

function gpgVersion(): string {
  try {
    return /gpg \(GnuPG\) (\S+)/.exec(execFileSync('gpg', ['--version']).toString())?.[1] ?? '?';
  } catch {
    return '?';
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') {
  child(argv[1]!, argv.includes('--verify')).catch((err: unknown) => {
    process.stderr.write(String((err as Error)?.stack ?? err) + '\n');
    process.exit(1);
  });
} else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  bench().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
