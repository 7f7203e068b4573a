/** `storages:test`: lists, writes, reads back and deletes a probe object, saying exactly what fails. */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ApiResult } from '../../contract/api';
import { messageWithHint, toAppError } from '../errors';
import type { StorageProvider } from '../storage/provider';
import { readAll } from '../storage/wrappers/streams';

/** One check of a storage test. */
type Check = { name: string; ok: boolean; message: string; cliMessage?: string };

/** Runs the probe on a connected provider; `onError` sees every failure (to note a revoked grant). */
export async function probeStorage(provider: StorageProvider, checks: Check[], onError: (err: unknown) => void, signal?: AbortSignal): Promise<ApiResult<'storages:test'>> {
  const opts = signal ? { signal } : {};
  const fail = (check: string, err: unknown): void => {
    const e = toAppError(err);
    onError(e);
    const cliHint = e.details?.cliHint;
    checks.push({
      name: check,
      ok: false,
      message: messageWithHint(e),
      ...(typeof cliHint === 'string' ? { cliMessage: `${e.message} ${cliHint}` } : {}),
    });
  };
  const skip = (check: string, why: string): void => void checks.push({ name: check, ok: false, message: `skipped: ${why}` });
  try {
    let n = 0;
    for await (const _o of provider.list('', opts)) {
      if (++n >= 1000) break;
    }
    checks.push({ name: 'list', ok: true, message: n >= 1000 ? 'listed (1000+ objects)' : `listed ${n} object${n === 1 ? '' : 's'}` });
  } catch (err) {
    fail('list', err);
  }
  if (!provider.write || !provider.capabilities.write) {
    checks.push({ name: 'write', ok: false, message: 'this storage is read-only: backups cannot be written to it' });
    skip('read', 'nothing was written');
    skip('delete', 'nothing was written');
    return { ok: false, checks };
  }
  const key = `.backup-desk-probe-${randomUUID()}.txt`;
  const body = Buffer.from(`Odoo Backup Desk storage test ${new Date().toISOString()}\n`);
  try {
    await provider.write(key, Readable.from([body]), { size: body.length, ...opts });
    checks.push({ name: 'write', ok: true, message: `wrote ${key} (${body.length} bytes)` });
  } catch (err) {
    fail('write', err);
    skip('read', 'the write failed');
    skip('delete', 'the write failed');
    return { ok: false, checks };
  }
  try {
    const back = await readAll(await provider.read(key, opts));
    if (back.equals(body)) checks.push({ name: 'read', ok: true, message: 'read back the same bytes' });
    else checks.push({ name: 'read', ok: false, message: `read back ${back.length} bytes that differ from the ${body.length} written` });
  } catch (err) {
    fail('read', err);
  }
  if (!provider.remove || !provider.capabilities.remove) {
    checks.push({ name: 'delete', ok: false, message: `this storage cannot delete objects: remove ${key} by hand` });
  } else {
    try {
      await provider.remove(key, opts);
      checks.push({ name: 'delete', ok: true, message: `deleted ${key}` });
    } catch (err) {
      fail('delete', err);
    }
  }
  return { ok: checks.every((c) => c.ok), checks };
}
