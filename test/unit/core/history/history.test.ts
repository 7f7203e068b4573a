import { execFile, spawn } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runSchema } from '../../../../shared/contract/history';
import { AppError, cancelledError } from '../../../../shared/core/errors';
import { cancelOpenRunsNow, historyPath, RunHistory, trackRun } from '../../../../shared/core/history';
import { missedStorages } from '../../../../shared/core/backup/service';

const run = promisify(execFile);
const root = resolve(__dirname, '../../../..');

let home: string;
let history: RunHistory;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'bd-history-'));
  history = RunHistory.forHome(home);
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
}

describe('RunHistory', () => {
  it('is empty when nothing was recorded yet', async () => {
    expect(await history.list()).toEqual([]);
  });

  it('records a start and an end as one run with its duration', async () => {
    const t0 = new Date('2026-01-02T03:04:05.000Z');
    const rec = await history.start({ kind: 'backup', db: 'prod', destinations: ['s3'], startedAt: t0, details: { format: 'zip' } });
    const during = await history.list();
    expect(during).toHaveLength(1);
    expect(during[0]).toMatchObject({ id: rec.id, outcome: 'running', endedAt: null, durationMs: null });
    const done = await rec.finish({ outcome: 'ok', bytes: 1234, refs: ['s3:prod.2026-01-02_03-04-05.zip'], endedAt: new Date('2026-01-02T03:04:07.500Z'), details: { sha256: 'ab' } });
    expect(done).toEqual({
      id: rec.id,
      kind: 'backup',
      db: 'prod',
      startedAt: '2026-01-02T03:04:05.000Z',
      endedAt: '2026-01-02T03:04:07.500Z',
      outcome: 'ok',
      bytes: 1234,
      refs: ['s3:prod.2026-01-02_03-04-05.zip'],
      destinations: ['s3'],
      error: null,
      durationMs: 2500,
      details: { format: 'zip', sha256: 'ab' },
    });
    expect(runSchema.parse(done)).toEqual(done);
    // finish is once: a second call does not write a second end.
    await rec.finish({ outcome: 'failed', error: new AppError('Fatal', 'late') });
    expect((await history.get(rec.id))?.outcome).toBe('ok');
  });

  it('lists newest first and filters by db, kind, outcome, since and limit', async () => {
    const at = (iso: string): Date => new Date(iso);
    await history.record({ kind: 'backup', db: 'a', outcome: 'ok', startedAt: at('2026-01-01T00:00:00Z'), endedAt: at('2026-01-01T00:01:00Z') });
    await history.record({ kind: 'restore', db: 'a', outcome: 'failed', error: new AppError('AuthFailed', 'wrong passphrase', { hint: 'try again' }), startedAt: at('2026-01-03T00:00:00Z'), endedAt: at('2026-01-03T00:00:01Z') });
    await history.record({ kind: 'rotation', db: 'b', outcome: 'ok', refs: ['x:1'], startedAt: at('2026-01-02T00:00:00Z'), endedAt: at('2026-01-02T00:00:00Z') });
    expect((await history.list()).map((r) => r.startedAt)).toEqual(['2026-01-03T00:00:00.000Z', '2026-01-02T00:00:00.000Z', '2026-01-01T00:00:00.000Z']);
    expect((await history.list({ db: 'a' })).map((r) => r.kind)).toEqual(['restore', 'backup']);
    expect((await history.list({ kind: 'rotation' })).map((r) => r.db)).toEqual(['b']);
    expect(await history.list({ outcome: 'failed' })).toMatchObject([{ error: { kind: 'AuthFailed', message: 'wrong passphrase', hint: 'try again' } }]);
    expect((await history.list({ since: '2026-01-02T00:00:00Z' })).length).toBe(2);
    expect((await history.list({ limit: 1 })).map((r) => r.kind)).toEqual(['restore']);
  });

  it('skips a torn last line left by a kill, and the next append starts on a line of its own', async () => {
    await history.record({ kind: 'backup', db: 'a', outcome: 'ok' });
    // A writer killed half-way through its line: no newline at the end of the file.
    await appendFile(historyPath(home), '{"v":1,"e":"start","id":"torn","kind":"bac');
    expect(await history.list()).toHaveLength(1);
    const rec = await history.start({ kind: 'restore', db: 'b' });
    await rec.finish({ outcome: 'ok', bytes: 5 });
    const runs = await history.list();
    expect(runs.map((r) => r.kind).sort()).toEqual(['backup', 'restore']);
    const text = await readFile(historyPath(home), 'utf8');
    expect(text.split('\n').filter((l) => l.startsWith('{"v":1,"e":"start","id":"torn"'))).toEqual(['{"v":1,"e":"start","id":"torn","kind":"bac']);
  });

  it('skips lines that are not runs (garbage, other versions, an end without its start)', async () => {
    await writeFile(historyPath(home), ['not json', '[1,2]', '{"v":2,"e":"run","id":"x"}', '{"v":1,"e":"end","id":"nostart","outcome":"ok"}', '{"v":1,"e":"run","id":"bad","kind":"nope"}', ''].join('\n'));
    await history.record({ kind: 'drill', db: 'c', outcome: 'cancelled', error: cancelledError('The drill') });
    expect(await history.list()).toMatchObject([{ kind: 'drill', outcome: 'cancelled', error: { kind: 'Cancelled' } }]);
  });

  it('reports a run whose process died before it ended as failed (interrupted)', async () => {
    const pid = await deadPid();
    const line = { v: 1, e: 'start', id: 'dead', kind: 'backup', db: 'a', startedAt: '2026-01-01T00:00:00.000Z', refs: [], destinations: [], details: {}, pid, host: (await import('node:os')).hostname() };
    await writeFile(historyPath(home), JSON.stringify(line) + '\n');
    expect(await history.list()).toMatchObject([{ id: 'dead', outcome: 'failed', endedAt: null, error: { message: expect.stringMatching(/Interrupted/) } }]);
  });

  it('records the runs still open as cancelled, at once, for a process that quits (a second Ctrl-C); a torn last line stays apart', async () => {
    let release: () => void = () => undefined;
    const pending = trackRun(history, { kind: 'restore', db: 'big' }, () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 50)); // the start is written
    await appendFile(historyPath(home), '{"v":1,"e":"start","id":"torn","kind":"bac');
    cancelOpenRunsNow();
    expect(await history.list()).toMatchObject([{ kind: 'restore', db: 'big', outcome: 'cancelled', error: { kind: 'Cancelled' } }]);
    // The work's own end afterwards records nothing more.
    release();
    await pending;
    expect(await history.list()).toMatchObject([{ kind: 'restore', outcome: 'cancelled' }]);
    // A run ended at once answers a later finish with that end.
    const rec = await history.start({ kind: 'backup', db: 'x' });
    rec.finishNow({ outcome: 'cancelled', error: cancelledError('The backup') });
    expect(await rec.finish({ outcome: 'ok' })).toMatchObject({ outcome: 'cancelled', error: { kind: 'Cancelled' } });
  });

  it('keeps every line whole when several processes append at once', async () => {
    const script = (tag: string): string => `
      import { RunHistory } from ${JSON.stringify(join(root, 'shared/core/history/index.ts'))};
      const h = RunHistory.forHome(${JSON.stringify(home)});
      const pad = 'x'.repeat(20000);
      await Promise.all(Array.from({ length: 40 }, async (_, i) => {
        const r = await h.start({ kind: 'backup', db: ${JSON.stringify(tag)} + i, details: { pad } });
        await r.finish({ outcome: 'ok', bytes: i, details: { pad } });
      }));`;
    await Promise.all(['p', 'q', 'r'].map((tag) => run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(tag)], { cwd: root })));
    const text = await readFile(historyPath(home), 'utf8');
    const lines = text.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(3 * 40 * 2);
    for (const l of lines) expect(() => JSON.parse(l) as unknown).not.toThrow();
    const runs = await history.list();
    expect(runs).toHaveLength(120);
    expect(runs.every((r) => r.outcome === 'ok' && (r.details.pad as string).length === 20000)).toBe(true);
  });
});

describe('trackRun', () => {
  it('records ok with the summary, failed and cancelled with the error, and rethrows', async () => {
    const v = await trackRun(history, { kind: 'restore', db: 'a' }, async () => ({ read: 42 }), { summarize: (r) => ({ bytes: r.read, refs: ['s:k'] }) });
    expect(v).toEqual({ read: 42 });
    await expect(trackRun(history, { kind: 'restore', db: 'b' }, async () => Promise.reject(new AppError('Integrity', 'CRC mismatch')))).rejects.toThrow('CRC mismatch');
    await expect(trackRun(history, { kind: 'restore', db: 'c' }, async () => Promise.reject(cancelledError()))).rejects.toMatchObject({ kind: 'Cancelled' });
    const byDb = Object.fromEntries((await history.list()).map((r) => [r.db, r]));
    expect(byDb.a).toMatchObject({ outcome: 'ok', bytes: 42, refs: ['s:k'], error: null });
    expect(byDb.b).toMatchObject({ outcome: 'failed', error: { kind: 'Integrity', message: 'CRC mismatch' } });
    expect(byDb.c).toMatchObject({ outcome: 'cancelled', error: { kind: 'Cancelled' } });
  });

  it('records a result that falls short (a backup some storages did not get) as failed, with its error, and returns it', async () => {
    const result = {
      destinations: [
        { storage: 'nas', ok: true, ref: 'nas:k', key: 'k' },
        { storage: 'flaky', ok: false, key: 'k', error: { kind: 'NotFound' as const, message: 'the folder is gone' } },
      ],
    };
    const v = await trackRun(history, { kind: 'backup', db: 'short' }, async () => result, { shortfall: missedStorages, summarize: () => ({ refs: ['nas:k'] }) });
    expect(v).toBe(result);
    const run = (await history.list()).find((r) => r.db === 'short');
    expect(run).toMatchObject({ outcome: 'failed', refs: ['nas:k'], error: { kind: 'Fatal', message: '1 of 2 storages did not get the backup (flaky: the folder is gone); it is on nas.' } });
    expect(missedStorages({ destinations: [result.destinations[0]!] })).toBeUndefined();
  });

  it('does not fail the work when the history cannot be written', async () => {
    const broken = new RunHistory(join(home, 'missing-dir-file'));
    await writeFile(join(home, 'missing-dir-file'), '');
    const unwritable = new RunHistory(join(home, 'missing-dir-file', 'history.jsonl'));
    const warnings: string[] = [];
    const log = { debug: () => undefined, info: () => undefined, warn: (m: string) => void warnings.push(m), error: () => undefined, child: () => log };
    expect(await trackRun(unwritable, { kind: 'backup', db: 'a' }, async () => 7, { log })).toBe(7);
    expect(warnings).toEqual(['could not write the run history']);
    expect(broken.file).toContain('missing-dir-file');
  });
});
