/** readPassphrase: file, env and prompt sources with clear errors. */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPassphrase } from '../../../shared/cli/passphrase-sources';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pw-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readPassphrase', () => {
  it('reads a file, dropping exactly one trailing newline', async () => {
    await writeFile(join(dir, 'a'), 's3cret pass\n');
    await writeFile(join(dir, 'b'), 's3cret pass\n\n');
    await writeFile(join(dir, 'c'), ' spaced \r\n');
    expect(await readPassphrase({ file: join(dir, 'a') }, {})).toBe('s3cret pass');
    expect(await readPassphrase({ file: join(dir, 'b') }, {})).toBe('s3cret pass\n');
    expect(await readPassphrase({ file: join(dir, 'c') }, {})).toBe(' spaced ');
  });
  it('a missing, empty or directory file is a clear error that does not include any content', async () => {
    await expect(readPassphrase({ file: join(dir, 'nope') }, {})).rejects.toMatchObject({ kind: 'NotFound', message: expect.stringContaining('Passphrase file not found') });
    await writeFile(join(dir, 'empty'), '\n');
    await expect(readPassphrase({ file: join(dir, 'empty') }, {})).rejects.toMatchObject({ kind: 'InvalidInput' });
    await mkdir(join(dir, 'd'));
    await expect(readPassphrase({ file: join(dir, 'd') }, {})).rejects.toMatchObject({ kind: 'InvalidInput' });
  });
  it('reads an environment variable; unset/empty are clear errors', async () => {
    expect(await readPassphrase({ env: 'BD_TEST_PW' }, { BD_TEST_PW: 'from env' })).toBe('from env');
    await expect(readPassphrase({ env: 'BD_TEST_PW' }, {})).rejects.toMatchObject({ kind: 'NotFound', message: 'Environment variable BD_TEST_PW is not set.' });
    await expect(readPassphrase({ env: 'BD_TEST_PW' }, { BD_TEST_PW: '' })).rejects.toMatchObject({ kind: 'InvalidInput' });
  });
  it('prompts only when no file/env is given; undefined when there is no source', async () => {
    const asked: string[] = [];
    const prompt = async (q: string): Promise<string> => {
      asked.push(q);
      return 'typed\n';
    };
    expect(await readPassphrase({ prompt }, {})).toBe('typed');
    await writeFile(join(dir, 'f'), 'filepw');
    expect(await readPassphrase({ file: join(dir, 'f'), prompt }, {})).toBe('filepw');
    expect(asked).toEqual(['Passphrase: ']);
    expect(await readPassphrase({}, {})).toBeUndefined();
    await expect(readPassphrase({ prompt: async () => '' }, {})).rejects.toMatchObject({ kind: 'InvalidInput' });
  });
});
