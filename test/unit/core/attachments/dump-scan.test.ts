import { describe, expect, it } from 'vitest';
import { scanSqlDump } from '../../../../shared/core/attachments/dump-scan';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const D = 'd'.repeat(40);

function dump(location: string | undefined, rows: string[]): string {
  return [
    'SET client_encoding = \'UTF8\';',
    'COPY public.ir_attachment (id, name, type, store_fname, checksum, db_datas, file_size) FROM stdin;',
    ...rows,
    '\\.',
    '',
    'COPY public.ir_config_parameter (id, key, value) FROM stdin;',
    '1\tweb.base.url\thttp://x',
    ...(location ? [`2\tir_attachment.location\t${location}`] : []),
    '3\tir_attachment.location.openstack\t{"user": "u", "key": "SECRET", "container_prefix": "odoo"}',
    '\\.',
    '',
  ].join('\n');
}

async function* chunks(s: string, size = 13): AsyncGenerator<Buffer> {
  for (let i = 0; i < s.length; i += size) yield Buffer.from(s.slice(i, i + size));
}

describe('scanSqlDump', () => {
  it('tallies database, filestore, S3, Swift and fs_attachment rows with sizes and distinct objects', async () => {
    const sql = dump('s3', [
      `1\tlogo\tbinary\t\\N\t${A}\t\\\\x89504e47\t4`,
      `2\tdoc\tbinary\taa/${A}\t${A}\t\\N\t100`,
      `3\tinv\tbinary\ts3://odoo-prod/${B}\t${B}\t\\N\t1000`,
      `4\tinv copy\tbinary\ts3://odoo-prod/${B}\t${B}\t\\N\t1000`,
      `5\told\tbinary\ts3://odoo-old/${C}\t${C}\t\\N\t10`,
      `6\tsw\tbinary\tswift://attach/${D}\t${D}\t\\N\t7`,
      `7\tfs\tbinary\tminio://${D}\t${D}\t\\N\t7`,
      `8\tlink\turl\t\\N\t\\N\t\\N\t0`,
    ]);
    const { tally, sawAttachments } = await scanSqlDump(chunks(sql), { dbName: 'prod' });
    expect(sawAttachments).toBe(true);
    const r = tally.finish();
    expect(r.location).toBe('s3');
    expect(r.module).toBe('attachment_s3');
    expect(r.selfContained).toBe(false);
    const g = (where: string, store?: string) => r.groups.find((x) => x.where === where && x.store === store);
    expect(g('database')).toMatchObject({ count: 1, bytes: 4 });
    expect(g('filestore')).toMatchObject({ count: 1, bytes: 100 });
    expect(g('s3', 'odoo-prod')).toMatchObject({ count: 2, bytes: 2000, objects: 1 });
    expect(g('s3', 'odoo-old')).toMatchObject({ count: 1, bytes: 10, objects: 1 });
    expect(g('swift', 'attach')).toMatchObject({ count: 1, bytes: 7, objects: 1 });
    expect(g('fs', 'minio')).toMatchObject({ count: 1, objects: 1 });
    expect(g('url')).toMatchObject({ count: 1 });
    expect(r.total).toEqual({ count: 8, bytes: 2128 });
    expect(r.remote).toEqual({ count: 5, bytes: 2024, objects: 4 });
    expect(r.notes.join(' ')).toContain('s3://odoo-prod');
  });

  it('counts objects a backup holds in its own filestore: self-contained when every one is there', async () => {
    const sql = dump('swift', [`1\ta\tbinary\tswift://attach/${B}\t${B}\t\\N\t5`, `2\tb\tbinary\tswift://attach/${C}\t${C}\t\\N\t5`]);
    const partial = (await scanSqlDump(chunks(sql))).tally.finish((n) => n.endsWith(B));
    expect(partial.remote.missingFromBackup).toBe(1);
    expect(partial.selfContained).toBe(false);
    const all = (await scanSqlDump(chunks(sql))).tally.finish(() => true);
    expect(all.selfContained).toBe(true);
    expect(all.groups.find((g) => g.where === 'swift')?.inBackup).toBe(2);
  });

  it("recognises odoo_openstack_storage's bare SHA-1 names and names the container, never the key", async () => {
    const sql = dump('openstack', [`1\ta\tbinary\t${B}\t${B}\t\\N\t5`]);
    const r = (await scanSqlDump(chunks(sql), { dbName: 'Prod' })).tally.finish();
    expect(r.module).toBe('odoo_openstack_storage');
    expect(r.groups).toEqual([{ where: 'openstack', store: 'odoo-prod', count: 1, bytes: 5, objects: 1 }]);
    expect(JSON.stringify(r)).not.toContain('SECRET');
  });

  it('a plain filestore database is self-contained', async () => {
    const r = (await scanSqlDump(chunks(dump(undefined, [`1\ta\tbinary\taa/${A}\t${A}\t\\N\t5`])))).tally.finish();
    expect(r).toMatchObject({ location: 'file', locationSet: false, selfContained: true, notes: [] });
    expect(r.module).toBeUndefined();
  });

  it("of a backup without its filestore (a .dump), says the filestore's files are not in it", async () => {
    const rows = [`1\ta\tbinary\taa/${A}\t${A}\t\\N\t5`, `2\tb\tbinary\t\\N\t\\N\t\\\\x41\t1`];
    const r = (await scanSqlDump(chunks(dump(undefined, rows)))).tally.finish(() => false, false);
    expect(r.filestoreLeftOut).toBe(1);
    expect(r.notes[0]).toBe('No filestore: this backup holds the database only (a .dump, or one made without the filestore), so the files of the 1 attachments kept in the filestore are not in it.');
    expect((await scanSqlDump(chunks(dump(undefined, rows)))).tally.finish(() => false, true).filestoreLeftOut).toBeUndefined();
  });
});
