/** ByteReader.readFilled: a read into a buffer of its own, across chunk boundaries, the rest left for the next read. */
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../../../shared/core/archive/byte-reader';

describe('ByteReader.readFilled', () => {
  it('fills n bytes from several chunks, leaves the rest of the last one for the next read, and gives fewer at the end', async () => {
    const chunks = [Buffer.from('abc'), Buffer.from('defgh'), Buffer.from('ij')];
    const r = new ByteReader((async function* () { yield* chunks; })());
    const first = await r.readFilled(5);
    expect(first.toString()).toBe('abcde');
    chunks[0]!.fill(0x2a); // its own memory, not a view of a chunk
    expect(first.toString()).toBe('abcde');
    expect((await r.readFilled(4)).toString()).toBe('fghi');
    expect((await r.readFilled(4)).toString()).toBe('j');
    expect((await r.readFilled(4)).length).toBe(0);
    expect(await r.atEnd()).toBe(true);
  });
});
