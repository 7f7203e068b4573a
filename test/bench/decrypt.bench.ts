/**
 * Decrypt benchmark: our streaming decrypt vs `gpg --decrypt` on the same gpg-made files
 * (symmetric AES-256, uncompressed and ZLIB-compressed), throughput in MB/s and peak RSS,
 * each measured in its own child process (`process.resourceUsage().maxRSS` for ours,
 * `/usr/bin/time -v` for gpg).
 *
 *   npx tsx test/bench/decrypt.bench.ts            # 2048 MB uncompressed, 512 MB compressed
 *   BENCH_MB=1024 BENCH_ZLIB_MB=256 npx tsx test/bench/decrypt.bench.ts
 *
 * `--child FILE [--verify]` is the measuring child: it reads the passphrase from stdin (never
 * argv), decrypts FILE to nowhere and prints JSON {bytes, ms, maxRssMB, sha256?}. The memory
 * test in test/integration/crypto uses it too.
 */
import { spawn } from 'node:child_process';
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
  const plain = await decryptStream(createReadStream(file, { highWaterMark: 1 << 20 }), { passphrase });
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

/** Writes `mb` MiB of plaintext: random for 'random', half text / half random blocks for 'mixed'. */
async function writePlain(path: string, mb: number, kind: 'random' | 'mixed'): Promise<string> {
  const hash = createHash('sha256');
  const block = randomBytes(1 << 20);
  const text = Buffer.from("INSERT INTO res_partner (id, name, email) VALUES (42, 'Acme Corp', 'info@acme.example');\n".repeat(12000)).subarray(0, 1 << 20);
  const ws = createWriteStream(path);
  for (let i = 0; i < mb; i++) {
    const chunk = kind === 'random' ? randomBytes(1 << 20) : i % 2 ? text : block;
    hash.update(chunk);
    if (!ws.write(chunk)) await new Promise<void>((r) => ws.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => ws.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return hash.digest('hex');
}

async function bench(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'decbench-'));
  const gnupghome = await mkdtemp(join(tmpdir(), 'gh-'));
  const env = { ...process.env, GNUPGHOME: gnupghome, LC_ALL: 'C' };
  const gpgPw = ['--batch', '--no-tty', '--pinentry-mode', 'loopback', '--passphrase-fd', '0'];
  const cases = [
    { name: 'uncompressed', mb: Number(process.env.BENCH_MB ?? 2048), compress: 'none', kind: 'random' as const },
    { name: 'ZLIB', mb: Number(process.env.BENCH_ZLIB_MB ?? 512), compress: 'ZLIB', kind: 'mixed' as const },
  ];
  const rows: string[] = [];
  try {
    for (const c of cases) {
      const plain = join(dir, `${c.name}.bin`);
      const enc = join(dir, `${c.name}.gpg`);
      process.stderr.write(`[${c.name}] writing ${c.mb} MiB plaintext…\n`);
      const sha = await writePlain(plain, c.mb, c.kind);
      process.stderr.write(`[${c.name}] gpg --symmetric --compress-algo ${c.compress}…\n`);
      const e = await run('gpg', [...gpgPw, '--cipher-algo', 'AES256', '--compress-algo', c.compress, '--symmetric', '-o', enc, plain], env, PASSPHRASE);
      if (e.code !== 0) throw new Error(e.stderr);
      await rm(plain);
      const encMB = (await stat(enc)).size / 2 ** 20;
      process.stderr.write(`[${c.name}] gpg --decrypt…\n`);
      const g = await run('/usr/bin/time', ['-v', 'gpg', ...gpgPw, '-o', '/dev/null', '--decrypt', enc], env, PASSPHRASE);
      if (g.code !== 0) throw new Error(g.stderr);
      const gpgRss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(g.stderr)?.[1] ?? NaN) / 1024;
      process.stderr.write(`[${c.name}] our decrypt…\n`);
      const ours = await measureOurDecrypt(enc, PASSPHRASE, true);
      if (ours.sha256 !== sha) throw new Error(`${c.name}: our plaintext differs from the original`);
      const plainMB = ours.bytes / 2 ** 20;
      const gpgMBs = plainMB / (g.ms / 1000);
      const ourMBs = plainMB / (ours.ms / 1000);
      rows.push(
        `${c.name.padEnd(13)} plain ${plainMB.toFixed(0).padStart(5)} MiB (file ${encMB.toFixed(0)} MiB) | gpg ${gpgMBs.toFixed(1).padStart(6)} MB/s, RSS ${gpgRss.toFixed(0)} MB | ours ${ourMBs.toFixed(1).padStart(6)} MB/s, peak RSS ${ours.maxRssMB.toFixed(0)} MB | ours/gpg ${(ourMBs / gpgMBs).toFixed(2)} | sha256 ok`,
      );
      process.stderr.write(rows.at(-1)! + '\n');
      await rm(enc);
    }
  } finally {
    await run('gpgconf', ['--kill', 'all'], env, '').catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    await rm(gnupghome, { recursive: true, force: true });
  }
  console.log('\nDecrypt benchmark (MiB of plaintext per second; ours includes sha256 verification):');
  for (const r of rows) console.log(r);
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
