import { describe, expect, it } from 'vitest';
import { AppError } from '../../../../../shared/core/errors';
import { assertValidKey, isValidKey, keyProblem } from '../../../../../shared/core/storage/wrappers/keys';

describe('key rules', () => {
  it('reject ".", "..", empty segments and slashes at the ends by default', () => {
    for (const bad of ['', '.', '/a', 'a/', 'a//b', './a', 'a/./b', 'a/../b', '../a', 'a\u0000b']) {
      expect(isValidKey(bad), bad).toBe(false);
      expect(() => assertValidKey(bad), bad).toThrow(AppError);
    }
    expect(keyProblem('./a')).toMatch(/"\." or "\.\." segment/);
    for (const good of ['a', 'a/b.zip', '.hidden', 'dots..zip', '...', 'a/.b/c']) expect(isValidKey(good), good).toBe(true);
  });

  it('with leadingDotSegment accept exactly one literal "." as the first segment and nothing else', () => {
    const rules = { leadingDotSegment: true };
    for (const good of ['./acme.2021-01-01_00-00-00.zip', './a/b.zip', 'plain.zip']) expect(() => assertValidKey(good, rules), good).not.toThrow();
    for (const bad of ['.', './', '././a', 'a/./b', '../a', './../a', './/a', '/./a']) {
      expect(isValidKey(bad, rules), bad).toBe(false);
      expect(() => assertValidKey(bad, rules), bad).toThrow(/Invalid object key/);
    }
  });
});
