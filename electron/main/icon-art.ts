/**
 * The app icon, drawn in code: a purple rounded square with a white database and a teal
 * "restore" badge. Rendered to PNG (and packed into .ico/.icns) by `build/make-icons.ts`
 * for the installers, and at run time for the tray and window icons, so the app needs no
 * image files of its own. Pure Node (`node:zlib`), anti-aliased by 4×4 supersampling.
 */
import { deflateSync } from 'node:zlib';

type Rgba = readonly [number, number, number, number];

const PURPLE_TOP: Rgba = [0x93, 0x64, 0x88, 1];
const PURPLE_BOTTOM: Rgba = [0x6b, 0x45, 0x62, 1];
const WHITE: Rgba = [0xff, 0xff, 0xff, 1];
const TOP_FACE: Rgba = [0xe9, 0xdd, 0xe6, 1];
const BAND: Rgba = [0x8a, 0x5c, 0x7e, 1];
const TEAL: Rgba = [0x00, 0xa0, 0x9d, 1];

function inRoundedRect(x: number, y: number, x0: number, y0: number, x1: number, y1: number, r: number): boolean {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

const inEllipse = (x: number, y: number, cx: number, cy: number, rx: number, ry: number): boolean =>
  ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;

/** The colour at a point of the unit square (x right, y down), or undefined for transparent. */
function paint(x: number, y: number): Rgba | undefined {
  if (!inRoundedRect(x, y, 0.06, 0.06, 0.94, 0.94, 0.2)) return undefined;
  const t = (y - 0.06) / 0.88;
  let c: Rgba = [
    PURPLE_TOP[0] + (PURPLE_BOTTOM[0] - PURPLE_TOP[0]) * t,
    PURPLE_TOP[1] + (PURPLE_BOTTOM[1] - PURPLE_TOP[1]) * t,
    PURPLE_TOP[2] + (PURPLE_BOTTOM[2] - PURPLE_TOP[2]) * t,
    1,
  ];
  // The database: a cylinder with two bands.
  const cx = 0.46;
  const rx = 0.23;
  const ry = 0.075;
  const top = 0.26;
  const bottom = 0.7;
  const inBody = Math.abs(x - cx) <= rx && y >= top && y <= bottom;
  if (inBody || inEllipse(x, y, cx, bottom, rx, ry) || inEllipse(x, y, cx, top, rx, ry)) c = WHITE;
  for (const by of [0.41, 0.56]) {
    const d = ((x - cx) / rx) ** 2 + ((y - by) / ry) ** 2;
    if (y > by && Math.abs(x - cx) <= rx && d >= 0.72 && d <= 1.0) c = BAND;
  }
  if (inEllipse(x, y, cx, top, rx * 0.92, ry * 0.8)) c = TOP_FACE;
  // The restore badge: a teal disc with a white downward arrow.
  const bx = 0.72;
  const by = 0.72;
  if (inEllipse(x, y, bx, by, 0.185, 0.185)) c = WHITE;
  if (inEllipse(x, y, bx, by, 0.16, 0.16)) {
    c = TEAL;
    const shaft = Math.abs(x - bx) <= 0.028 && y >= by - 0.095 && y <= by + 0.03;
    const head = y >= by - 0.005 && y <= by + 0.09 && Math.abs(x - bx) <= 0.085 - (y - (by - 0.005)) * 0.95;
    if (shaft || head) c = WHITE;
  }
  return c;
}

/** Renders the icon as `size`×`size` RGBA pixels (row-major, 4 bytes a pixel). */
export function renderIconRgba(size: number): Uint8Array {
  if (!Number.isInteger(size) || size < 1 || size > 4096) throw new RangeError(`icon size ${size}`);
  const out = new Uint8Array(size * size * 4);
  const n = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const c = paint((px + (sx + 0.5) / n) / size, (py + (sy + 0.5) / n) / size);
          if (!c) continue;
          r += c[0];
          g += c[1];
          b += c[2];
          a += 1;
        }
      }
      const i = (py * size + px) * 4;
      if (a > 0) {
        out[i] = Math.round(r / a);
        out[i + 1] = Math.round(g / a);
        out[i + 2] = Math.round(b / a);
        out[i + 3] = Math.round((a / (n * n)) * 255);
      }
    }
  }
  return out;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32 as PNG chunks use it. */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** Encodes RGBA pixels as a PNG (8-bit RGBA, no filtering). */
export function encodePng(rgba: Uint8Array, width: number, height: number): Buffer {
  if (rgba.length !== width * height * 4) throw new RangeError('pixel buffer does not match the size');
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', new Uint8Array(0))]);
}

/** The icon as a PNG of `size` pixels. */
export function iconPng(size: number): Buffer {
  return encodePng(renderIconRgba(size), size, size);
}

/** Packs PNGs into a Windows .ico (PNG-compressed entries, Vista and later). */
export function encodeIco(images: ReadonlyArray<{ readonly size: number; readonly png: Buffer }>): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(images.length, 4);
  const dir = Buffer.alloc(16 * images.length);
  let offset = 6 + dir.length;
  images.forEach((img, i) => {
    if (img.size > 256) throw new RangeError('.ico entries are at most 256 px');
    const e = i * 16;
    dir[e] = img.size === 256 ? 0 : img.size;
    dir[e + 1] = img.size === 256 ? 0 : img.size;
    dir.writeUInt16LE(1, e + 4); // planes
    dir.writeUInt16LE(32, e + 6); // bits per pixel
    dir.writeUInt32LE(img.png.length, e + 8);
    dir.writeUInt32LE(offset, e + 12);
    offset += img.png.length;
  });
  return Buffer.concat([header, dir, ...images.map((i) => i.png)]);
}

/** The .icns element type for a PNG of each pixel size. */
export const ICNS_TYPES: Readonly<Record<number, readonly string[]>> = {
  16: ['icp4'],
  32: ['icp5', 'ic11'],
  64: ['icp6', 'ic12'],
  128: ['ic07'],
  256: ['ic08', 'ic13'],
  512: ['ic09', 'ic14'],
  1024: ['ic10'],
};

/** Packs PNGs into a macOS .icns. */
export function encodeIcns(images: ReadonlyArray<{ readonly size: number; readonly png: Buffer }>): Buffer {
  const parts: Buffer[] = [];
  for (const img of images) {
    for (const type of ICNS_TYPES[img.size] ?? []) {
      const head = Buffer.alloc(8);
      head.write(type, 0, 'latin1');
      head.writeUInt32BE(img.png.length + 8, 4);
      parts.push(head, img.png);
    }
  }
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(body.length + 8, 4);
  return Buffer.concat([head, body]);
}
