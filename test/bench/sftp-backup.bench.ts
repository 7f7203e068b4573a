/**
 * SFTP backup benchmark (`npx tsx test/bench/sftp-backup.bench.ts`).
 *
 * A generated Odoo-shaped database with many small filestore files (the case where one SFTP
 * request per small write was slow), on a throwaway PostgreSQL cluster and OpenSSH's sshd:
 *   - ours: runBackup() straight to an SFTP storage;
 *   - the baseline: runBackup() to a local folder, then OpenSSH's `sftp` putting that zip.
 * Prints both, ours ÷ baseline, best of BENCH_ROUNDS alternating rounds (default 3).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPgSource, runBackup, type BackupDestination } from '../../shared/core/backup';
import { silentContext } from '../../shared/core/jobs/job';
import { LocalProvider } from '../../shared/core/storage/local';
import { sftpConfigSchema } from '../../shared/core/storage/sftp/config';
import { createSftpProvider } from '../../shared/core/storage/sftp/sftp-provider';
import { createOdooShapedDb } from '../helpers/odoo-shaped-db';
import { startPgCluster } from '../helpers/pg-cluster';
import { startSshd } from '../helpers/sshd';

const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const DB = 'sftp_bench';

function sh(cmd: string, args: string[]): Promise<void> {
  return new Promise((res, rej) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', rej);
    p.on('close', (code) => (code === 0 ? res() : rej(new Error(`${cmd} exited ${code}: ${err.slice(-1000)}`))));
  });
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function main(): Promise<void> {
  const [cluster, sshd] = await Promise.all([startPgCluster(), startSshd()]);
  const work = await mkdtemp(join(tmpdir(), 'bd-bench-sftp-'));
  try {
    const dataDir = join(work, 'data');
    process.stderr.write('Generating an Odoo-shaped database with 2,000 small filestore files…\n');
    await createOdooShapedDb(cluster.url, DB, { partners: 2000, blobs: 2, blobBytes: 100_000, files: 2000, fileBytes: 3000 }, join(dataDir, 'filestore', DB));
    const key = join(work, 'id_ed25519');
    await writeFile(key, sshd.clientKey, { mode: 0o600 });
    const sftp = createSftpProvider(sftpConfigSchema.parse({ host: sshd.host, port: sshd.directPort, username: sshd.username, path: sshd.root, auth: 'key', hostKeyFingerprint: sshd.hostKeyFingerprint }), { privateKey: sshd.clientKey });
    const backupTo = (d: BackupDestination, layout: 'backup-desk' | 'odoo-manager') =>
      runBackup({ db: DB, format: 'zip', layout, destinations: [d], openSource: (c) => openPgSource({ db: DB, pgUrl: cluster.url, dataDir, filestore: true, format: 'zip' }, c) }, silentContext());
    const oursRound = () => timed(() => backupTo({ name: 'sftp', provider: sftp }, 'backup-desk'));
    const baseRound = async (i: number): Promise<number> => {
      const local = join(work, `local-${i}`);
      await mkdir(local);
      return timed(async () => {
        await backupTo({ name: 'local', provider: new LocalProvider(local) }, 'odoo-manager');
        const zip = (await readdir(local)).find((n) => n.endsWith('.zip'))!;
        const batch = join(work, `batch-${i}`);
        await writeFile(batch, `put ${join(local, zip)} ${sshd.root}/baseline-${i}.zip\n`);
        await sh('sftp', ['-q', '-i', key, '-P', String(sshd.directPort), '-o', 'StrictHostKeyChecking=no', '-o', `UserKnownHostsFile=${join(work, 'known_hosts')}`, '-b', batch, `${sshd.username}@${sshd.host}`]);
      });
    };
    const ours: number[] = [];
    const base: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      // Backups are named to the second: a round of its own each.
      await new Promise((r) => setTimeout(r, 1010 - (Date.now() % 1000)));
      if (i % 2 === 0) ours.push(await oursRound());
      else base.push(await baseRound(i));
      await new Promise((r) => setTimeout(r, 1010 - (Date.now() % 1000)));
      if (i % 2 === 0) base.push(await baseRound(i));
      else ours.push(await oursRound());
      process.stderr.write(`  round ${i + 1}: ours ${ours.at(-1)!.toFixed(2)} s, local + sftp put ${base.at(-1)!.toFixed(2)} s\n`);
    }
    await sftp.close?.();
    const bo = Math.min(...ours);
    const bb = Math.min(...base);
    console.log(`\nSFTP backup benchmark (2,000 files of 3 kB + 2 blobs; OpenSSH sshd on loopback; best of ${ROUNDS} alternating rounds)\n`);
    console.log('| backup | ours: straight to SFTP | baseline: to a local folder, then `sftp put` | ours ÷ baseline |');
    console.log('|---|---:|---:|---:|');
    console.log(`| generated, 2,000 small files | ${bo.toFixed(2)} s | ${bb.toFixed(2)} s | **${(bo / bb).toFixed(2)}** |`);
  } finally {
    await sshd.stop();
    await cluster.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
