// Writes the installers' icons into build/icons/ from the icon drawn in
// electron/main/icon-art.ts: png/<N>x<N>.png (Linux), icon.png (1024), icon.ico (Windows),
// icon.icns (macOS). Run: npx tsx build/make-icons.ts
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeIcns, encodeIco, iconPng } from '../electron/main/icon-art';

const out = join(dirname(fileURLToPath(import.meta.url)), 'icons');
const sizes = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
const pngs = new Map(sizes.map((s) => [s, iconPng(s)] as const));
const get = (s: number): Buffer => pngs.get(s) as Buffer;

await mkdir(join(out, 'png'), { recursive: true });
for (const s of sizes) await writeFile(join(out, 'png', `${s}x${s}.png`), get(s));
await writeFile(join(out, 'icon.png'), get(1024));
await writeFile(join(out, 'icon.ico'), encodeIco([16, 24, 32, 48, 64, 128, 256].map((s) => ({ size: s, png: get(s) }))));
await writeFile(join(out, 'icon.icns'), encodeIcns([16, 32, 64, 128, 256, 512, 1024].map((s) => ({ size: s, png: get(s) }))));
console.log(`icons written to ${out}`);
