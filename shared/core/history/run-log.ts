/**
 * The history file: append-only JSON lines in the home folder (`history.jsonl`).
 *
 * Crash-safe and shared by several processes (the app, `serve`, the CLI, a scheduler daemon)
 * without a lock file:
 * - each event is ONE `write()` on a file opened with `O_APPEND`, so the kernel places every
 *   line whole at the end of the file; appends from two processes never interleave (on a
 *   local file system, where POSIX serialises appending writes to one file);
 * - a writer killed in the middle of a write leaves a torn last line. The next writer sees
 *   that the file does not end in a newline and starts its own line with one, so the torn
 *   fragment stays a line of its own, which readers skip (as any line that is not a valid
 *   event: they are never fatal);
 * - each append is fsynced before it resolves.
 */
import { appendFileSync, closeSync, fstatSync, fsyncSync, openSync, readSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { AppError } from '../errors';

/** The history file's name inside the home folder. */
export const HISTORY_FILE = 'history.jsonl';

/** The path of the history file in `home`. */
export function historyPath(home: string): string {
  return join(home, HISTORY_FILE);
}

/** Classifies a file-system error of the history file. */
function fileError(file: string, verb: string, err: unknown): AppError {
  const code = (err as NodeJS.ErrnoException).code;
  const denied = code === 'EACCES' || code === 'EPERM' || code === 'EROFS';
  return new AppError(denied ? 'PermissionDenied' : 'Fatal', `Cannot ${verb} the run history ${file}: ${(err as Error).message}`, {
    hint: denied ? 'Check the permissions of the home folder, or choose another with --home.' : 'Check that the disk is not full.',
    cause: err,
  });
}

/** Appends one JSON value as one line, whole, at the end of `file` (see the module comment). */
export async function appendLine(file: string, value: unknown): Promise<void> {
  const line = JSON.stringify(value);
  if (line.includes('\n')) throw new AppError('Fatal', 'A history line may not contain a newline.');
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const fh = await open(file, 'a+', 0o600);
    try {
      const { size } = await fh.stat();
      let lead = '';
      if (size > 0) {
        const last = Buffer.alloc(1);
        await fh.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) lead = '\n';
      }
      await fh.write(Buffer.from(`${lead}${line}\n`, 'utf8'));
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw fileError(file, 'write to', err);
  }
}

/**
 * `appendLine` for a process about to exit at once (a second Ctrl-C), where nothing async runs
 * any more: the same whole line, newline-led after a torn one, fsynced. Failures are ignored.
 */
export function appendLineSync(file: string, value: unknown): void {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'a+', 0o600);
    const { size } = fstatSync(fd);
    const last = Buffer.alloc(1);
    const lead = size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a ? '\n' : '';
    appendFileSync(fd, `${lead}${JSON.stringify(value)}\n`);
    fsyncSync(fd);
  } catch {
    /* the run is then shown as interrupted, as before */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Every parseable JSON object line of `file`, in file order (streamed line by line). Lines that
 * are not JSON objects (a torn line from a kill, a stray edit) are skipped; a missing file is
 * an empty history.
 */
export async function readLines(file: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  const stream = createReadStream(file, { encoding: 'utf8' });
  try {
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    for await (const line of lines) {
      const value = parseObject(line);
      if (value) out.push(value);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fileError(file, 'read', err);
  } finally {
    stream.destroy();
  }
  return out;
}

/** The JSON object on `line`, or `undefined` when it is blank, torn or not an object. */
function parseObject(line: string): Record<string, unknown> | undefined {
  if (!line.trim()) return undefined;
  try {
    const v: unknown = JSON.parse(line);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
