/**
 * The packaging config's security fuses (build/electron-builder.yml), read as electron-builder
 * reads it: the asar-only fuse is paired with the asar integrity check, or it protects nothing.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');

/** The `electronFuses:` block as a flat key → value map. */
async function fuses(): Promise<Record<string, string>> {
  const yml = await readFile(join(root, 'build', 'electron-builder.yml'), 'utf8');
  const block = /^electronFuses:\n((?: {2}\S.*\n)+)/m.exec(yml)?.[1] ?? '';
  return Object.fromEntries(block.split('\n').filter(Boolean).map((l) => l.trim().split(/:\s*/) as [string, string]));
}

describe('electron-builder fuses', () => {
  it('loads the app only from app.asar and checks its embedded integrity hash', async () => {
    const f = await fuses();
    expect(f.onlyLoadAppFromAsar).toBe('true');
    expect(f.enableEmbeddedAsarIntegrityValidation).toBe('true');
  });

  it('cannot be turned into a plain Node and grants file:// nothing extra', async () => {
    expect(await fuses()).toMatchObject({ runAsNode: 'false', enableNodeOptionsEnvironmentVariable: 'false', enableNodeCliInspectArguments: 'false', grantFileProtocolExtraPrivileges: 'false' });
  });
});
