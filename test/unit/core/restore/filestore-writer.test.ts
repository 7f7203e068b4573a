/**
 * The filestore writer gives up a file it cannot write without leaving its source open: a
 * storage read left open would hold a transfer slot for good (a folder backup whose filestore
 * path cannot be made, in a long-lived app).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FilestoreWriter } from '../../../../shared/core/restore/filestore-writer';
import type { Staging } from '../../../../shared/core/restore/staging';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'bd-fs-writer-'));
  await mkdir(join(tmp, 'fs'));
  await writeFile(join(tmp, 'fs', 'ab'), 'a file where a folder is needed');
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('FilestoreWriter', () => {
  it('destroys the source of a file whose folder cannot be made', async () => {
    const staging = { folder: async () => join(tmp, 'fs') } as unknown as Staging;
    const writer = new FilestoreWriter(staging, new AbortController().signal, () => undefined);
    const source = new Readable({ read() {} });
    await expect(writer.write('ab/abcdef', source)).rejects.toThrow();
    expect(source.destroyed).toBe(true);
  });
});
