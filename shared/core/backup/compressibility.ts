/**
 * Whether a filestore file is worth deflating. Filestore names are bare SHA-1s, so the decision is
 * by content: known already-compressed formats by their magic bytes (JPEG, PNG, GIF, WebP, PDF,
 * zip-based office files, gzip, bzip2, xz, 7z, zstd, MP4/MOV, MP3, Ogg, WOFF/WOFF2, Matroska), and
 * anything else by the byte entropy of its head: above 7.5 bits per byte (random-looking, i.e.
 * compressed or encrypted data) deflate gains nothing and it is stored. Counting bytes costs a
 * fraction of what deflating a sample would, which matters with thousands of files.
 * Storing is valid zip (method 0) and Odoo's restore reads it.
 */
const MAGIC: readonly (readonly [number, readonly number[]])[] = [
  [0, [0xff, 0xd8, 0xff]], // JPEG
  [0, [0x89, 0x50, 0x4e, 0x47]], // PNG
  [0, [0x47, 0x49, 0x46, 0x38]], // GIF
  [0, [0x25, 0x50, 0x44, 0x46]], // %PDF
  [0, [0x50, 0x4b, 0x03, 0x04]], // zip, docx/xlsx/odt, jar
  [0, [0x1f, 0x8b]], // gzip
  [0, [0x42, 0x5a, 0x68]], // bzip2
  [0, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]], // xz
  [0, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]], // 7z
  [0, [0x28, 0xb5, 0x2f, 0xfd]], // zstd
  [0, [0x49, 0x44, 0x33]], // MP3 with ID3
  [0, [0x4f, 0x67, 0x67, 0x53]], // Ogg
  [0, [0x77, 0x4f, 0x46, 0x32]], // WOFF2
  [0, [0x77, 0x4f, 0x46, 0x46]], // WOFF
  [0, [0x1a, 0x45, 0xdf, 0xa3]], // Matroska / WebM
  [4, [0x66, 0x74, 0x79, 0x70]], // ISO BMFF: MP4, MOV, HEIC, AVIF ("ftyp")
  [8, [0x57, 0x45, 0x42, 0x50]], // RIFF….WEBP
];

/** How many head bytes the decision looks at. */
export const SAMPLE_BYTES = 64 * 1024;

/** True when `head` starts like a format that is compressed already. */
export function isKnownCompressed(head: Uint8Array): boolean {
  return MAGIC.some(([at, sig]) => head.length >= at + sig.length && sig.every((b, i) => head[at + i] === b));
}

/** Shannon entropy of the bytes of `data`, in bits per byte (0–8). */
export function byteEntropy(data: Uint8Array): number {
  const counts = new Uint32Array(256);
  for (let i = 0; i < data.length; i++) counts[data[i]!]!++;
  let h = 0;
  for (let i = 0; i < 256; i++) {
    const c = counts[i]!;
    if (c) {
      const p = c / data.length;
      h -= p * Math.log2(p);
    }
  }
  return h;
}

/** Above this entropy (bits per byte) deflate gains next to nothing. */
export const STORE_ENTROPY = 7.5;

/** Deflate or store a file that starts with `head` (up to `SAMPLE_BYTES` of it). */
export function worthDeflating(head: Uint8Array): boolean {
  if (head.length < 512) return true; // tiny: nothing to gain either way, deflate like Odoo
  if (isKnownCompressed(head)) return false;
  return byteEntropy(head.subarray(0, SAMPLE_BYTES)) < STORE_ENTROPY;
}
