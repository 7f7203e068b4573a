/**
 * A real OpenSSH `sshd` on a free loopback port for tests, in a temp folder: its own config
 * (`-f`), an ed25519 host key, authorized_keys with a plain and a passphrase-protected client
 * key, `internal-sftp`, root login (tests run as root). Keys are generated in-process with
 * ssh2's key generator (through `ed25519KeyPair`), so no passphrase ever appears on a command line.
 *
 * Clients connect through a TCP relay (`port`) that can drop the connection after N bytes
 * in either direction (`interruptNext`), like a flaky network; `directPort` is sshd itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ed25519KeyPair } from './ssh-keys';

/** A running test sshd. */
export interface TestSshd {
  /** The relay port clients should use. */
  readonly port: number;
  /** sshd's own port. */
  readonly directPort: number;
  readonly host: '127.0.0.1';
  readonly username: string;
  /** An empty folder to use as the storage root (absolute). */
  readonly root: string;
  /** OpenSSH private key (unencrypted) authorized for `username`. */
  readonly clientKey: string;
  /** OpenSSH private key encrypted with `passphrase`, also authorized. */
  readonly encryptedClientKey: string;
  readonly passphrase: string;
  /** `SHA256:…` of the server's host key. */
  readonly hostKeyFingerprint: string;
  /** `ssh-ed25519 AAAA…` host public key, for known_hosts lines. */
  readonly hostPublicKey: string;
  /** The temp folder holding everything (known_hosts files can go here too). */
  readonly dir: string;
  /** Drops the relayed connection once `afterBytes` more bytes went server→client (read) or client→server (write). */
  interruptNext(direction: 'read' | 'write', afterBytes: number): void;
  /** Drops every relayed connection now. */
  dropAll(): void;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** Options of `startSshd`. */
export interface SshdOptions {
  /** Run internal-sftp read-only (`-R`): every write is refused with "permission denied". */
  readonly readOnly?: boolean;
}

/** Starts sshd; rejects with sshd's stderr when it does not come up. */
export async function startSshd(options: SshdOptions = {}): Promise<TestSshd> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sshd-'));
  const root = path.join(dir, 'root');
  await mkdir(root);
  // sshd refuses to start without its privilege separation folder.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 }).catch(() => undefined);

  const hostKeys = ed25519KeyPair();
  const client = ed25519KeyPair({ comment: 'backup-desk-test' });
  const passphrase = `test-${Math.random().toString(36).slice(2)}`;
  const encrypted = ed25519KeyPair({ passphrase, cipher: 'aes256-ctr', rounds: 4, comment: 'backup-desk-test-enc' });
  const hostKeyFile = path.join(dir, 'ssh_host_ed25519_key');
  await writeFile(hostKeyFile, hostKeys.private, { mode: 0o600 });
  await writeFile(`${hostKeyFile}.pub`, hostKeys.public);
  await writeFile(path.join(dir, 'authorized_keys'), `${client.public}\n${encrypted.public}\n`, { mode: 0o600 });

  const directPort = await freePort();
  const configFile = path.join(dir, 'sshd_config');
  await writeFile(
    configFile,
    [
      `Port ${directPort}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKeyFile}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin yes',
      `Subsystem sftp internal-sftp${options.readOnly ? ' -R' : ''}`,
      'LogLevel ERROR',
      'MaxStartups 50',
      'MaxSessions 50',
      '',
    ].join('\n'),
  );
  const sshd: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  sshd.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  // Wait until it accepts connections.
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (sshd.exitCode !== null) throw new Error(`sshd exited (${sshd.exitCode}): ${stderr}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(directPort, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`sshd did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }

  // The relay.
  const cuts: { read?: number; write?: number } = {};
  const sockets = new Set<net.Socket>();
  const relay = net.createServer((down) => {
    const up = net.connect(directPort, '127.0.0.1');
    sockets.add(down);
    sockets.add(up);
    const kill = (): void => {
      down.destroy();
      up.destroy();
    };
    // Once cut, this connection relays nothing more (no bytes after a gap) until it is killed.
    let cut = false;
    const forward = (from: net.Socket, to: net.Socket, direction: 'read' | 'write'): void => {
      from.on('data', (chunk: Buffer) => {
        if (cut) return;
        const room = cuts[direction];
        if (room !== undefined) {
          if (chunk.length >= room) {
            delete cuts[direction];
            cut = true;
            to.write(chunk.subarray(0, room), kill);
            return;
          }
          cuts[direction] = room - chunk.length;
        }
        if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
      });
      from.on('end', () => to.end());
    };
    forward(up, down, 'read');
    forward(down, up, 'write');
    down.on('error', kill);
    up.on('error', kill);
    down.on('close', () => {
      sockets.delete(down);
      up.destroy();
    });
    up.on('close', () => {
      sockets.delete(up);
      down.destroy();
    });
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const port = (relay.address() as AddressInfo).port;

  const blob = Buffer.from(hostKeys.public.split(/\s+/)[1] ?? '', 'base64');
  return {
    port,
    directPort,
    host: '127.0.0.1',
    username: os.userInfo().username,
    root,
    clientKey: client.private,
    encryptedClientKey: encrypted.private,
    passphrase,
    hostKeyFingerprint: `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`,
    hostPublicKey: hostKeys.public.trim(),
    dir,
    interruptNext(direction, afterBytes) {
      cuts[direction] = afterBytes;
    },
    dropAll() {
      for (const s of sockets) s.destroy();
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
      if (sshd.exitCode === null) {
        const exited = new Promise((resolve) => sshd.once('exit', resolve));
        sshd.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
