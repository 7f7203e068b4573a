import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isKnownCompressed, worthDeflating } from '../../../../shared/core/backup/compressibility';

const head = (bytes: number[], total = 4096): Buffer => Buffer.concat([Buffer.from(bytes), Buffer.alloc(total - bytes.length, 0x20)]);

describe('compressibility', () => {
  it('stores images, PDFs, zip-based office files, archives and media by their magic bytes', () => {
    for (const magic of [[0xff, 0xd8, 0xff, 0xe0], [0x89, 0x50, 0x4e, 0x47], [0x25, 0x50, 0x44, 0x46], [0x50, 0x4b, 0x03, 0x04], [0x1f, 0x8b, 0x08], [0x28, 0xb5, 0x2f, 0xfd], [0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70]]) {
      expect(isKnownCompressed(head(magic))).toBe(true);
      expect(worthDeflating(head(magic))).toBe(false);
    }
    expect(worthDeflating(Buffer.concat([Buffer.from('RIFF\0\0\0\0WEBPVP8 '), Buffer.alloc(4000)]))).toBe(false);
  });

  it('deflates text, stores data that does not shrink', () => {
    expect(worthDeflating(Buffer.from('<html><body>hello hello hello</body></html>\n'.repeat(200)))).toBe(true);
    expect(worthDeflating(randomBytes(65536))).toBe(false);
    expect(worthDeflating(Buffer.from('tiny'))).toBe(true);
    expect(worthDeflating(Buffer.from(randomBytes(30000).toString('base64')))).toBe(true); // base64: 6 bits per byte
  });
});
