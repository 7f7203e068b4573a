import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ed25519KeyPair } from '../../../../helpers/ssh-keys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addKnownHost,
  checkKnownHosts,
  hostPatternMatches,
  keyTypeOf,
  knownHostsName,
  normalizeFingerprint,
  sha256Fingerprint,
} from '../../../../../shared/core/storage/sftp/host-key';

let dir: string;
const key = ed25519KeyPair();
const other = ed25519KeyPair();
const blobOf = (pub: string): Buffer => Buffer.from(pub.split(/\s+/)[1] ?? '', 'base64');

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'hostkey-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('host keys', () => {
  it('computes the same SHA256 fingerprint as ssh-keygen -l', async () => {
    const file = path.join(dir, 'k.pub');
    await writeFile(file, key.public);
    const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', file]).toString();
    const expected = /SHA256:[A-Za-z0-9+/]+/.exec(out)?.[0];
    expect(sha256Fingerprint(blobOf(key.public))).toBe(expected);
    expect(normalizeFingerprint(`${expected}=`)).toBe(expected);
    expect(keyTypeOf(blobOf(key.public))).toBe('ssh-ed25519');
  });

  it('matches plain, [host]:port, wildcard and negated patterns', () => {
    expect(knownHostsName('h', 22)).toBe('h');
    expect(knownHostsName('h', 2222)).toBe('[h]:2222');
    expect(hostPatternMatches('a,[h]:2222', '[h]:2222')).toBe(true);
    expect(hostPatternMatches('*.example.com', 'sftp.example.com')).toBe(true);
    expect(hostPatternMatches('*.example.com,!bad.example.com', 'bad.example.com')).toBe(false);
    expect(hostPatternMatches('h', '[h]:2222')).toBe(false);
  });

  it('matches entries hashed by ssh-keygen -H', async () => {
    const file = path.join(dir, 'known_hosts_hashed');
    await writeFile(file, `[127.0.0.1]:2222 ${key.public.trim()}\nplain.example ${other.public.trim()}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('127.0.0.1');
    expect(checkKnownHosts(text, '127.0.0.1', 2222, blobOf(key.public))).toEqual({ status: 'match' });
    expect(checkKnownHosts(text, '127.0.0.1', 2222, blobOf(other.public)).status).toBe('mismatch');
    expect(checkKnownHosts(text, '127.0.0.1', 22, blobOf(key.public)).status).toBe('unknown');
  });

  it('honours @revoked and ignores @cert-authority lines', () => {
    const text = `@revoked * ${key.public.trim()}\n@cert-authority * ${other.public.trim()}\n`;
    expect(checkKnownHosts(text, 'x', 22, blobOf(key.public)).status).toBe('revoked');
    expect(checkKnownHosts(text, 'x', 22, blobOf(other.public)).status).toBe('unknown');
  });

  it('appends hashed entries that ssh-keygen -F can find', async () => {
    const file = path.join(dir, 'sub', 'known_hosts');
    await addKnownHost(file, '127.0.0.1', 2200, blobOf(key.public));
    const text = await readFile(file, 'utf8');
    expect(text.startsWith('|1|')).toBe(true);
    expect(checkKnownHosts(text, '127.0.0.1', 2200, blobOf(key.public))).toEqual({ status: 'match' });
    const found = execFileSync('ssh-keygen', ['-F', '[127.0.0.1]:2200', '-f', file]).toString();
    expect(found).toContain('ssh-ed25519');
  });
});
