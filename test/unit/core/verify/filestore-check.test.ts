/** FilestoreCheck: every file hashed against the SHA-1 in its name; missing references listed. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FilestoreCheck, LISTED } from '../../../../shared/core/verify/filestore-check';

const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex');
const pathOf = (b: Buffer): string => `${sha1(b).slice(0, 2)}/${sha1(b)}`;
async function* split(b: Buffer): AsyncGenerator<Buffer> {
  yield b.subarray(0, 3);
  yield b.subarray(3);
}

describe('FilestoreCheck', () => {
  it('hashes the files named by a SHA-1, counts the others, and lists what is damaged or missing', async () => {
    const good = Buffer.from('a logo');
    const bad = Buffer.from('an invoice');
    const check = new FilestoreCheck();
    await check.add(pathOf(good), split(good));
    await check.add(pathOf(bad), split(Buffer.from('an invoicE')));
    await check.add(`checklist/${pathOf(good)}`, split(Buffer.alloc(0)));
    await check.add('odd-name.txt', split(Buffer.from('whatever')));
    const gone = pathOf(Buffer.from('never archived'));
    const r = check.result(new Set([pathOf(good), pathOf(bad), gone]));
    expect(r).toEqual({ files: 4, bytes: 6 + 10 + 0 + 8, hashed: 2, corrupt: [pathOf(bad)], corruptCount: 1, referenced: 3, missing: [gone], missingCount: 1 });
  });

  it(`names at most ${LISTED} missing files but counts them all`, () => {
    const refs = new Set(Array.from({ length: LISTED + 5 }, (_, i) => pathOf(Buffer.from(String(i)))));
    const r = new FilestoreCheck().result(refs);
    expect(r.missingCount).toBe(LISTED + 5);
    expect(r.missing).toHaveLength(LISTED);
  });
});
