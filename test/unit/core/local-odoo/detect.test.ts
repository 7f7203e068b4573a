import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectLocalOdoo, localOdooFromConf, odooConfCandidates, odooDatabaseUrl, parseOdooConf, readOdooConf } from '../../../../shared/core/local-odoo';
import { AppError } from '../../../../shared/core/errors';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'bd-local-odoo-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const CONF = `; Odoo 17 as the Debian package writes it
[options]
admin_passwd = $pbkdf2-sha512$600000$not-ours
db_host = False
db_port = 5433
db_user = odoo
db_password = s3cr:et@/x
data_dir = /var/lib/odoo/.local/share/Odoo
http_port = 8070
addons_path = /usr/lib/python3/dist-packages/odoo/addons

[queue_job]
db_user = somebody_else
`;

describe('odoo.conf', () => {
  it('reads what a restore needs from [options] only; False is unset', () => {
    expect(parseOdooConf(CONF, '/etc/odoo/odoo.conf')).toEqual({
      path: '/etc/odoo/odoo.conf',
      dataDir: '/var/lib/odoo/.local/share/Odoo',
      dbPort: 5433,
      dbUser: 'odoo',
      dbPassword: 's3cr:et@/x',
      httpPort: 8070,
    });
    expect(parseOdooConf('[options]\ndb_host: db.lan\nxmlrpc_port = 8069\ndata_dir = data\n', '/srv/odoo/odoo.conf')).toEqual({
      path: '/srv/odoo/odoo.conf',
      dbHost: 'db.lan',
      httpPort: 8069,
      dataDir: '/srv/odoo/data',
    });
  });

  it('looks in $ODOO_RC, /etc/odoo/odoo.conf, /etc/odoo*.conf, ~/.odoorc, ~/.openerp_serverrc', () => {
    expect(odooConfCandidates({ ODOO_RC: '/opt/o.conf' }, ['passwd', 'odoo17.conf', 'odoo-server.conf', 'odoo'], '/home/me')).toEqual([
      '/opt/o.conf',
      '/etc/odoo/odoo.conf',
      '/etc/odoo-server.conf',
      '/etc/odoo17.conf',
      '/home/me/.odoorc',
      '/home/me/.openerp_serverrc',
    ]);
  });

  it('a missing --odoo-conf file is NotFound naming it', async () => {
    const err = await readOdooConf(join(tmp, 'nope.conf')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).message).toContain('nope.conf');
    await expect(detectLocalOdoo({ confPath: join(tmp, 'nope.conf') })).rejects.toThrow(/was not found/);
  });
});

describe('the Odoo on this machine', () => {
  it('gives a password-free URL to show, the password only in the connect URL, the data dir owner and the web URL', async () => {
    const dataDir = join(tmp, 'odoo-data');
    await mkdir(dataDir);
    const conf = join(tmp, 'odoo.conf');
    await writeFile(conf, CONF.replace('/var/lib/odoo/.local/share/Odoo', dataDir), { mode: 0o640 });
    const found = await detectLocalOdoo({ confPath: conf });
    expect(found).toBeDefined();
    const { odoo, connectUrl } = found!;
    const s = await stat(dataDir);
    expect(odoo).toMatchObject({ confPath: conf, dataDir, dbUser: 'odoo', hasPassword: true, httpUrl: 'http://localhost:8070', dataDirOwner: { uid: s.uid, gid: s.gid } });
    expect(odoo.pgUrl).toBe('postgres://odoo@localhost:5433/postgres?host=%2Fvar%2Frun%2Fpostgresql');
    expect(JSON.stringify(odoo)).not.toContain('s3cr');
    expect(new URL(connectUrl).password).toBe(encodeURIComponent('s3cr:et@/x'));
    expect(decodeURIComponent(new URL(connectUrl).password)).toBe('s3cr:et@/x');
    expect(odooDatabaseUrl(odoo, 'shop copy')).toBe('http://localhost:8070/web?db=shop%20copy');
  });

  it('a data dir not created yet takes the owner of its nearest existing parent; a TCP db_host is used as is', async () => {
    await chmod(tmp, 0o755);
    const { odoo } = await localOdooFromConf({ path: join(tmp, 'x.conf'), dataDir: join(tmp, 'not', 'yet'), dbHost: '10.0.0.5' });
    expect(odoo.dataDirOwner?.uid).toBe((await stat(tmp)).uid);
    expect(odoo.pgUrl).toBe('postgres://10.0.0.5:5432/postgres');
    expect(odoo.hasPassword).toBe(false);
  });
});
