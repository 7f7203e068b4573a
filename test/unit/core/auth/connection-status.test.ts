/** The non-secret "needs reconnect" record per storage. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clearConnectionStatus, connectionStatus, connectionStatuses, CONNECTION_STATUS_FILE, markNeedsReconnect } from '../../../../shared/core/auth/connection-status';

describe('connection status', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'bd-status-'));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('records, lists and clears needs-reconnect per storage; concurrent marks lose nothing', async () => {
    expect(await connectionStatus(home, 'a')).toBe('ok');
    await Promise.all(['a', 'b', 'c', 'd'].map((n) => markNeedsReconnect(home, n, 'invalid_grant')));
    expect(Object.keys(await connectionStatuses(home)).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect((await connectionStatuses(home)).b).toMatchObject({ status: 'needs-reconnect', reason: 'invalid_grant' });
    await clearConnectionStatus(home, 'b');
    await clearConnectionStatus(home, 'missing');
    expect(await connectionStatus(home, 'b')).toBe('ok');
    expect(await connectionStatus(home, 'a')).toBe('needs-reconnect');
    const raw = JSON.parse(await readFile(join(home, CONNECTION_STATUS_FILE), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(raw).sort()).toEqual(['a', 'c', 'd']);
  });

  it('treats a damaged file as "nothing recorded"', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(home, CONNECTION_STATUS_FILE), '{ not json');
    expect(await connectionStatus(home, 'a')).toBe('ok');
    await markNeedsReconnect(home, 'a');
    expect(await connectionStatus(home, 'a')).toBe('needs-reconnect');
  });
});
