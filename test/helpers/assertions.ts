/** Small test helpers shared by the provider suites: read a stream whole, catch an `AppError`. */
import type { Readable } from 'node:stream';
import { expect } from 'vitest';
import { AppError } from '../../shared/core/errors';

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
