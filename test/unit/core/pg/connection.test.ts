import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { classifyPgError, clientConfig, connect, libpqEnv, parsePgUrl, quoteIdent, targetLabel } from '../../../../shared/core/pg/connection';
import { freePort } from '../../../helpers/pg-cluster';
import { isAppError } from '../../../../shared/core/errors';

describe('pg connection helpers', () => {
  it('parses postgres:// URLs, including sockets and encoded parts', () => {
    expect(parsePgUrl('postgres://odoo:p%40ss@db.example.com:5433/prod?sslmode=require')).toEqual({
      host: 'db.example.com', port: 5433, user: 'odoo', password: 'p@ss', database: 'prod', sslmode: 'require',
    });
    expect(parsePgUrl('postgresql://me@localhost:5432/postgres?host=%2Fvar%2Frun%2Fpostgresql')).toMatchObject({ host: '/var/run/postgresql', user: 'me' });
    expect(() => parsePgUrl('mysql://x')).toThrow(/postgres:\/\//);
    expect(clientConfig('postgres://u@h:1/db', 'other')).toMatchObject({ host: 'h', port: 1, user: 'u', database: 'other' });
    expect(targetLabel('postgres://u:secret@h:1/db')).toBe('h:1');
  });

  it('puts the password in the child environment only, never in a label or argv', () => {
    const env = libpqEnv('postgres://u:s3cret@h:6543/x', 'bd_tmp_1');
    expect(env).toMatchObject({ PGHOST: 'h', PGPORT: '6543', PGUSER: 'u', PGPASSWORD: 's3cret', PGDATABASE: 'bd_tmp_1' });
    expect(targetLabel('postgres://u:s3cret@h:6543/x')).not.toContain('s3cret');
  });

  it('classifies an unreachable server as Transient naming host and port', async () => {
    const port = await freePort();
    const err = await connect(`postgres://u@127.0.0.1:${port}/postgres`).catch((e: unknown) => e);
    expect(isAppError(err, 'Transient')).toBe(true);
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
    expect(classifyPgError(Object.assign(new Error('password authentication failed'), { code: '28P01' }), undefined).kind).toBe('AuthFailed');
    expect(quoteIdent('a"b')).toBe('"a""b"');
    // A missing database: the app's words in the hint, the CLI's flags only in cliHint.
    const missing = classifyPgError(Object.assign(new Error('database "nope" does not exist'), { code: '3D000' }), 'postgres://u@127.0.0.1:5432/nope');
    expect(missing.kind).toBe('NotFound');
    expect(missing.hint).not.toMatch(/--/);
    expect(missing.details?.cliHint).toMatch(/--db/);
  });

  it('a server that closes the connection before PostgreSQL speaks (something else on the port, a firewall) is unreachable, with what to check', async () => {
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const { port } = server.address() as AddressInfo;
    try {
      const err = await connect(`postgres://u@127.0.0.1:${port}/postgres`).catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: 'Transient', message: `PostgreSQL at 127.0.0.1:${port} did not answer (connection terminated unexpectedly).` });
      expect((err as { hint: string }).hint).toBe(`Check that PostgreSQL runs there and that a firewall lets this machine reach 127.0.0.1:${port}.`);
    } finally {
      server.close();
    }
  });
});
