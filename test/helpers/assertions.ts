/** Small test helpers shared by the provider suites: read a stream whole, catch an `AppError`, hash an object, list the keys. */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { expect } from 'vitest';
import { AppError } from '../../shared/core/errors';
import type { StorageProvider } from '../../shared/core/storage/provider';

/** Reads a stream to its end. */
export async function drain(s: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of s) out.push(c as Buffer);
  return Buffer.concat(out);
}

/** The `AppError` a promise rejects with; fails the test when it resolves or rejects with anything else. */
export async function caught(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error('expected a rejection');
}

/** The sha256 (hex) of an object read whole from a provider. */
export async function sha256Of(p: StorageProvider, key: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of await p.read(key)) h.update(c as Buffer);
  return h.digest('hex');
}

/** Every key a provider lists, sorted. */
export async function keysOf(p: StorageProvider): Promise<string[]> {
  const out: string[] = [];
  for await (const o of p.list('')) out.push(o.key);
  return out.sort();
}
