import { inflateSync } from 'node:zlib';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32, encodeIcns, encodeIco, iconPng, renderIconRgba } from '../../../../electron/main/icon-art';

/** A minimal PNG reader: checks signature and CRCs, returns size and RGBA pixels. */
function readPng(buf: Buffer): { width: number; height: number; rgba: Buffer } {
  expect(buf.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let off = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  for (;;) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    expect(buf.readUInt32BE(off + 8 + len)).toBe(crc32(buf.subarray(off + 4, off + 8 + len)));
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect([data[8], data[9]]).toEqual([8, 6]);
    } else if (type === 'IDAT') idat.push(data);
    off += 12 + len;
    if (type === 'IEND') break;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width * 4 + 1)]).toBe(0);
    raw.copy(rgba, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
  }
  return { width, height, rgba };
}

describe('icon-art', () => {
  it('crc32 matches the standard check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('encodes a PNG that decodes back to the same pixels', () => {
    const png = iconPng(64);
    const { width, height, rgba } = readPng(png);
    expect([width, height]).toEqual([64, 64]);
    expect(rgba).toEqual(Buffer.from(renderIconRgba(64)));
  });

  it('draws transparent corners, a purple field and a white database', () => {
    const size = 128;
    const px = (x: number, y: number): number[] => [...renderIconRgba(size).subarray((y * size + x) * 4, (y * size + x) * 4 + 4)];
    expect(px(0, 0)[3]).toBe(0);
    expect(px(127, 127)[3]).toBe(0);
    const field = px(64, 10);
    expect(field[3]).toBe(255);
    expect(field[0]).toBeGreaterThan(field[1] as number); // purple: more red than green
    expect(px(Math.round(0.46 * size), Math.round(0.5 * size))).toEqual([255, 255, 255, 255]);
    // Anti-aliased edge: some partly transparent pixels exist.
    const alphas = new Set<number>();
    const all = renderIconRgba(size);
    for (let i = 3; i < all.length; i += 4) alphas.add(all[i] as number);
    expect([...alphas].some((a) => a > 0 && a < 255)).toBe(true);
  });

  it('packs .ico and .icns with every entry pointing at a valid PNG', () => {
    const imgs = [16, 32, 256].map((s) => ({ size: s, png: iconPng(s) }));
    const ico = encodeIco(imgs);
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2), ico.readUInt16LE(4)]).toEqual([0, 1, 3]);
    imgs.forEach((img, i) => {
      const e = 6 + i * 16;
      expect(ico[e]).toBe(img.size === 256 ? 0 : img.size);
      const len = ico.readUInt32LE(e + 8);
      const at = ico.readUInt32LE(e + 12);
      expect(readPng(ico.subarray(at, at + len)).width).toBe(img.size);
    });
    expect(() => encodeIco([{ size: 512, png: iconPng(1) }])).toThrow();

    const icns = encodeIcns(imgs);
    expect(icns.toString('latin1', 0, 4)).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const types: string[] = [];
    for (let off = 8; off < icns.length; ) {
      const type = icns.toString('latin1', off, off + 4);
      const len = icns.readUInt32BE(off + 4);
      types.push(type);
      readPng(icns.subarray(off + 8, off + len));
      off += len;
    }
    expect(types).toEqual(['icp4', 'icp5', 'ic11', 'ic08', 'ic13']);
  });

  it('the committed installer icons are the ones the code draws (run build/make-icons.ts after changing the art)', async () => {
    const dir = join(import.meta.dirname, '..', '..', '..', '..', 'build', 'icons');
    for (const s of [16, 32, 256]) expect(await readFile(join(dir, 'png', `${s}x${s}.png`))).toEqual(iconPng(s));
    const ico = await readFile(join(dir, 'icon.ico'));
    expect(ico.readUInt16LE(4)).toBe(7);
    const icns = await readFile(join(dir, 'icon.icns'));
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    expect(readPng(await readFile(join(dir, 'icon.png'))).width).toBe(1024);
  });
});
