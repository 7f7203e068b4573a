/**
 * A `multipart/form-data` body (RFC 7578) built as a stream: the text fields, then one file
 * part whose bytes are pulled from a stream as the socket takes them, so the body is never
 * whole in memory. When the file's size is known the body's exact length is too (a
 * Content-Length header, which every proxy accepts); otherwise the caller sends it chunked.
 */
import { randomBytes } from 'node:crypto';

/** The file part. */
export interface MultipartFile {
  readonly field: string;
  readonly filename: string;
  readonly contentType: string;
  readonly data: AsyncIterable<Buffer>;
  /** Exact byte count, when known. */
  readonly size?: number;
}

/** A body ready to send. */
export interface MultipartBody {
  /** The `Content-Type` header value, boundary included. */
  readonly contentType: string;
  /** Exact body length, when the file's size is known. */
  readonly length: number | undefined;
  /** The bytes, produced lazily. */
  readonly stream: AsyncIterable<Buffer>;
}

/** Quotes a header parameter value the way browsers do for form data (`"` and CR/LF percent-encoded). */
function quoteParam(v: string): string {
  return v.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Builds the body for `fields` (in order, text) followed by `file`. */
export function multipartBody(fields: ReadonlyArray<readonly [string, string]>, file: MultipartFile, boundary = `----BackupDesk${randomBytes(16).toString('hex')}`): MultipartBody {
  const head = Buffer.concat([
    ...fields.map(([name, value]) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${quoteParam(name)}"\r\n\r\n${value}\r\n`, 'utf8')),
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${quoteParam(file.field)}"; filename="${quoteParam(file.filename)}"\r\nContent-Type: ${file.contentType}\r\n\r\n`,
      'utf8',
    ),
  ]);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  async function* generate(): AsyncGenerator<Buffer> {
    yield head;
    let n = 0;
    for await (const chunk of file.data) {
      n += chunk.length;
      yield chunk;
    }
    if (file.size !== undefined && n !== file.size) {
      // A Content-Length body that falls short or overruns would leave the server waiting or misreading.
      throw new Error(`the backup gave ${n} bytes where ${file.size} were announced`);
    }
    yield tail;
  }
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length: file.size === undefined ? undefined : head.length + file.size + tail.length,
    stream: generate(),
  };
}
