/**
 * Remote-restore upload benchmark: a 1 GiB backup restored into a (local, fake) Odoo database
 * manager by our `restoreToOdoo` (preflight, 413 probe, streamed multipart upload, checks) in
 * a child process whose peak RSS is measured, against `curl -F backup_file=@FILE` — what an
 * admin would script — on the same file and server. Prints both times, the ratio and our peak
 * RSS (target: < 300 MB whatever the size).
 *
 *   npx tsx test/bench/odoo-upload.bench.ts            # 1024 MiB
 *   BENCH_MB=2048 npx tsx test/bench/odoo-upload.bench.ts
 *
 * `--child URL FILE DB` is the measuring child: it reads the master password from stdin.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { localFileSource } from '../../shared/core/archive';
import { silentContext } from '../../shared/core/jobs/job';
import { OdooManagerClient, restoreToOdoo } from '../../shared/core/odoo';
import { startFakeOdoo } from '../helpers/fake-services/odoo-manager';

const SELF = fileURLToPath(import.meta.url);
const PW = 'bench-master';

async function child(url: string, file: string, db: string): Promise<void> {
  const pw = (await new Promise<string>((r) => {
    let s = '';
    process.stdin.on('data', (c) => (s += String(c)));
    process.stdin.on('end', () => r(s.trim()));
  }));
  const t = Date.now();
  const r = await restoreToOdoo({ source: localFileSource(file), instance: 'bench', client: new OdooManagerClient({ url, masterPassword: pw }), db, mode: 'copy', neutralize: false, replace: false, knownOdooVersion: '17.0' }, silentContext());
  process.stdout.write(JSON.stringify({ ms: Date.now() - t, bytes: r.bytesSent, maxRssMB: process.resourceUsage().maxRSS / 1024 }) + '\n');
}

async function writeFile(file: string, mb: number): Promise<void> {
  const out = createWriteStream(file);
  out.write(Buffer.from('PGDMP'));
  const block = randomBytes(1024 * 1024);
  for (let i = 0; i < mb; i++) if (!out.write(block)) await new Promise<void>((r) => out.once('drain', () => r()));
  await new Promise<void>((r) => out.end(r));
}

async function main(): Promise<void> {
  const mb = Number(process.env.BENCH_MB ?? 1024);
  const dir = await mkdtemp(join(tmpdir(), 'bd-odoo-bench-'));
  const fake = await startFakeOdoo({ version: '17.0', masterPassword: PW });
  try {
    const file = join(dir, 'big.dump');
    await writeFile(file, mb);
    const kid = spawn(process.execPath, ['--import', 'tsx', SELF, '--child', fake.url, file, 'ours'], { stdio: ['pipe', 'pipe', 'inherit'] });
    kid.stdin.end(PW);
    let out = '';
    kid.stdout.on('data', (c) => (out += String(c)));
    await new Promise((r) => kid.on('close', r));
    const ours = JSON.parse(out) as { ms: number; bytes: number; maxRssMB: number };
    const t = Date.now();
    await promisify(execFile)('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-F', `master_pwd=${PW}`, '-F', 'name=curl', '-F', 'copy=true', '-F', `backup_file=@${file}`, `${fake.url}/web/database/restore`], { maxBuffer: 1 << 20 });
    const curlMs = Date.now() - t;
    if (!fake.databases.has('ours') || !fake.databases.has('curl')) throw new Error('a restore did not arrive');
    console.log(`upload of ${mb} MiB into a local Odoo database manager`);
    console.log(`ours (restoreToOdoo, whole job): ${(ours.ms / 1000).toFixed(1)} s, ${(mb / (ours.ms / 1000)).toFixed(0)} MiB/s, peak RSS ${ours.maxRssMB.toFixed(0)} MB`);
    console.log(`curl -F backup_file=@FILE:       ${(curlMs / 1000).toFixed(1)} s`);
    console.log(`ratio ours / curl: ${(ours.ms / curlMs).toFixed(2)}`);
  } finally {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child(process.argv[3]!, process.argv[4]!, process.argv[5]!);
else await main();
