import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { screenshotDir } from '../../e2e/helpers/screenshots';

const root = resolve(import.meta.dirname, '..', '..', '..');

describe('e2e screenshot folder', () => {
  it('is outside the repository by default, so a test run leaves the tree clean', () => {
    const dir = screenshotDir({});
    expect(relative(root, dir).startsWith('..')).toBe(true);
  });
  it('is the tracked docs/screenshots only when BD_SCREENSHOTS_DIR asks for it', () => {
    const docs = join(root, 'docs', 'screenshots');
    expect(screenshotDir({ BD_SCREENSHOTS_DIR: docs })).toBe(docs);
  });
});
