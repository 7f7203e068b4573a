/**
 * Checks a backup's filestore file by file: Odoo names each file by its content's SHA-1
 * (`ab/abcdef…`), so hashing it tells whether its bytes are the ones the database refers to.
 * Garbage-collection marks (`checklist/…`, empty) and files named otherwise are only counted.
 */
import { createHash } from 'node:crypto';
import { filestorePathOf, shaOfMember } from '../attachments';
import { throwIfAborted } from '../errors';

/** How many corrupt or missing files a report names. */
export const LISTED = 100;

/** The filestore part of a verification. */
export interface FilestoreResult {
  files: number;
  bytes: number;
  hashed: number;
  corrupt: string[];
  corruptCount: number;
  referenced: number;
  missing: string[];
  missingCount: number;
}

/** Accumulates the files of one filestore. */
export class FilestoreCheck {
  private readonly present = new Set<string>();
  private readonly corrupt: string[] = [];
  private files = 0;
  private bytes = 0;
  private hashed = 0;

  constructor(private readonly signal?: AbortSignal) {}

  /** Reads one file (`path` relative to the filestore) to its end. */
  async add(path: string, data: AsyncIterable<Buffer>): Promise<void> {
    const sha = shaOfMember(path);
    const hash = sha ? createHash('sha1') : undefined;
    for await (const c of data) {
      throwIfAborted(this.signal, 'Verifying');
      this.bytes += c.length;
      hash?.update(c);
    }
    this.files++;
    this.present.add(path);
    if (!hash) return;
    this.hashed++;
    if (hash.digest('hex') !== sha) this.corrupt.push(path);
  }

  /** How many of `ids` (SHA-1s of objects kept in S3/Swift) the filestore holds as `<sha[:2]>/<sha>`. */
  holding(ids: Iterable<string>): number {
    let n = 0;
    for (const id of ids) if (this.present.has(filestorePathOf(id))) n++;
    return n;
  }

  /** The result, against the files the database references. */
  result(referenced: ReadonlySet<string>): FilestoreResult {
    const missing = [...referenced].filter((p) => !this.present.has(p)).sort();
    return {
      files: this.files,
      bytes: this.bytes,
      hashed: this.hashed,
      corrupt: this.corrupt.slice(0, LISTED),
      corruptCount: this.corrupt.length,
      referenced: referenced.size,
      missing: missing.slice(0, LISTED),
      missingCount: missing.length,
    };
  }
}
