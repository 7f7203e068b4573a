/** The pipelined SFTP write stream against a real sshd: small writes go out in full requests, and the file is exact. */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client, type SFTPWrapper } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelinedWriteStream } from '../../../../../shared/core/storage/sftp/transfer';
import { startSshd, type TestSshd } from '../../../../helpers/sshd';

let sshd: TestSshd;
let client: Client;
let sftp: SFTPWrapper;

beforeAll(async () => {
  sshd = await startSshd();
  client = new Client();
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve()).once('error', reject);
    client.connect({ host: sshd.host, port: sshd.directPort, username: sshd.username, privateKey: sshd.clientKey });
  });
  sftp = await new Promise<SFTPWrapper>((resolve, reject) => client.sftp((err, s) => (err ? reject(err) : resolve(s))));
}, 60_000);
afterAll(async () => {
  client?.end();
  await sshd?.stop();
});

describe('pipelinedWriteStream', () => {
  it('gathers 20,000 writes of 100 bytes into full 32 KiB requests, and writes every byte in order', async () => {
    const data = randomBytes(2_000_000);
    const chunks = Array.from({ length: 20_000 }, (_, i) => data.subarray(i * 100, (i + 1) * 100));
    let requests = 0;
    const counted = new Proxy(sftp, {
      get(target, prop, receiver) {
        if (prop === 'write') return (...args: Parameters<SFTPWrapper['write']>) => (requests++, target.write(...args));
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    await pipeline(Readable.from(chunks), pipelinedWriteStream(counted, join(sshd.root, 'small-writes.bin')));
    expect(requests).toBe(Math.ceil(data.length / (32 * 1024)));
    expect((await readFile(join(sshd.root, 'small-writes.bin'))).equals(data)).toBe(true);
  }, 60_000);
});
