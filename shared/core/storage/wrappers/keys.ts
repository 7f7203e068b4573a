/** Key rules every provider enforces the same way (see the contract in `../provider.ts`). */
import { AppError } from '../../errors';

/**
 * Checks an object key: non-empty, `/`-separated, no leading or trailing slash, no empty,
 * `.` or `..` segment, no NUL. Throws `InvalidInput` otherwise.
 */
export function assertValidKey(key: string): void {
  const bad = (why: string): never => {
    throw new AppError('InvalidInput', `Invalid object key ${JSON.stringify(key)}: ${why}.`, {
      hint: 'Keys are relative paths like "folder/name.zip", without a leading slash.',
    });
  };
  if (key.length === 0) bad('it is empty');
  if (key.includes('\u0000')) bad('it contains a NUL character');
  if (key.startsWith('/')) bad('it starts with a slash');
  if (key.endsWith('/')) bad('it ends with a slash');
  for (const seg of key.split('/')) {
    if (seg === '') bad('it has an empty path segment');
    if (seg === '.' || seg === '..') bad('it has a "." or ".." segment');
  }
}

/**
 * Checks a listing prefix: `""` or a string without a leading slash (a trailing slash is
 * allowed, and usual). Throws `InvalidInput` otherwise.
 */
export function assertValidPrefix(prefix: string): void {
  if (prefix.startsWith('/') || prefix.includes('\u0000')) {
    throw new AppError('InvalidInput', `Invalid listing prefix ${JSON.stringify(prefix)}.`, {
      hint: 'Prefixes are relative, like "" or "backups/".',
    });
  }
}

/** Checks a byte range (non-negative integers); throws `InvalidInput` otherwise. */
export function assertValidRange(range: { offset: number; length?: number } | undefined): void {
  if (range === undefined) return;
  const ok = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;
  if (!ok(range.offset) || (range.length !== undefined && !ok(range.length))) {
    throw new AppError('InvalidInput', `Invalid byte range ${JSON.stringify(range)}.`, {
      hint: 'Offsets and lengths are non-negative whole numbers of bytes.',
    });
  }
}
