import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgDump } from '../../../../shared/core/backup/pg-dump';
import { findNewestPgTool, type PgTool } from '../../../../shared/core/pg/tools';

/** A "server" that takes the connection and never answers: pg_dump waits on it until killed. */
let silent: net.Server;
let url: string;
let tool: PgTool;
const held = new Set<net.Socket>();

beforeAll(async () => {
  const found = await findNewestPgTool('pg_dump');
  if (!found) throw new Error('pg_dump is needed (the PostgreSQL client tools)');
  tool = found;
  silent = net.createServer((s) => held.add(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  url = `postgres://nobody@127.0.0.1:${(silent.address() as AddressInfo).port}/postgres`;
});
afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise((r) => silent.close(r));
});

describe('startPgDump (real pg_dump)', () => {
  it('kills pg_dump at once when the signal fired before it started, and says Cancelled', async () => {
    const ac = new AbortController();
    ac.abort();
    const t0 = Date.now();
    const run = startPgDump({ tool, pgUrl: url, db: 'shop', format: 'plain', signal: ac.signal });
    run.stdout.resume();
    await expect(run.done).rejects.toMatchObject({ kind: 'Cancelled' });
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('kills pg_dump when the signal fires while it waits on the server', async () => {
    const ac = new AbortController();
    const run = startPgDump({ tool, pgUrl: url, db: 'shop', format: 'plain', signal: ac.signal });
    run.stdout.resume();
    setTimeout(() => ac.abort(), 200);
    await expect(run.done).rejects.toMatchObject({ kind: 'Cancelled' });
  });
});
