/** Key rules every provider enforces the same way (see the contract in `../provider.ts`). */
import { AppError } from '../../errors';
import type { KeyRules } from '../provider';

/**
 * Why `key` breaks the key rules, or undefined when it is valid: non-empty, `/`-separated, no
 * leading or trailing slash, no empty, `.` or `..` segment, no NUL. `rules` are the provider's
 * declared relaxations (`capabilities.keyRules`): `leadingDotSegment` lets the first segment
 * be a literal `.` (S3's `./name.zip`); `emptySegments` allows empty segments, including a
 * leading slash (S3's `backups//name.zip`), but still no trailing slash (that is a folder).
 */
export function keyProblem(key: string, rules: KeyRules = {}): string | undefined {
  if (key.length === 0) return 'it is empty';
  if (key.includes('\u0000')) return 'it contains a NUL character';
  const empties = rules.emptySegments === true;
  if (key.startsWith('/') && !empties) return 'it starts with a slash';
  if (key.endsWith('/')) return 'it ends with a slash';
  const segs = key.split('/');
  for (const [i, seg] of segs.entries()) {
    if (seg === '') {
      if (empties) continue;
      return 'it has an empty path segment';
    }
    if (seg === '.' && i === 0 && rules.leadingDotSegment === true && segs.length > 1) continue;
    if (seg === '.' || seg === '..') return 'it has a "." or ".." segment';
  }
  return undefined;
}

/** True when `key` passes the key rules (relaxed by `rules`); see `keyProblem`. */
export function isValidKey(key: string, rules: KeyRules = {}): boolean {
  return keyProblem(key, rules) === undefined;
}

/** Checks an object key with `keyProblem`; throws `InvalidInput` saying why when it is not valid. */
export function assertValidKey(key: string, rules: KeyRules = {}): void {
  const why = keyProblem(key, rules);
  if (why === undefined) return;
  throw new AppError('InvalidInput', `Invalid object key ${JSON.stringify(key)}: ${why}.`, {
    hint: 'Keys are relative paths like "folder/name.zip", without a leading slash.',
  });
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
