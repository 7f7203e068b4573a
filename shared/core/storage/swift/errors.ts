/** Swift/Keystone HTTP answers and network errors → classified `AppError`s. */
import { AppError, cancelledError } from '../../errors';
import { isTransientNetworkError } from '../wrappers/streams';

/** An unsuccessful HTTP answer from Swift, before classification. */
export class SwiftHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly retryAfter: string | null,
  ) {
    super(`Swift answered HTTP ${status}`);
    this.name = 'SwiftHttpError';
  }
}

/** Classifies an error of a Swift request about `what`. */
export function classifySwiftError(err: unknown, what: string, storage: string, signal?: AbortSignal): AppError {
  if (err instanceof AppError) return err;
  if (signal?.aborted || (err instanceof Error && err.name === 'AbortError')) return cancelledError(`The Swift request for "${what}"`);
  if (err instanceof SwiftHttpError) {
    const details = { status: err.status };
    const s = err.status;
    if (s === 404) return new AppError('NotFound', `"${what}" was not found on Swift.`, { hint: 'Check the container and folder; the object may have been deleted.', details });
    if (s === 401) {
      return new AppError('AuthFailed', `Swift rejected the credentials of storage "${storage}".`, {
        hint: 'Check the user, project and password; a changed password goes in with "Change secret" on the Storages screen.',
        details: { ...details, cliHint: `Check the user, project and password; a changed password: \`backup-desk storage set-secret ${storage}\`.` },
      });
    }
    if (s === 403) return new AppError('PermissionDenied', `Swift refused access to "${what}".`, { hint: 'Check the user\'s role on the project and the container ACLs.', details });
    if (s === 429 || s === 498 || s === 503 || s >= 500) {
      const sec = err.retryAfter === null ? NaN : Number(err.retryAfter);
      return new AppError('Transient', s >= 500 && s !== 503 ? `Swift had a server error (HTTP ${s}) for "${what}".` : 'Swift is rate-limiting or busy.', {
        hint: 'Try again in a moment.',
        details,
        ...(Number.isFinite(sec) ? { retryAfterMs: sec * 1000 } : {}),
      });
    }
    if (s === 413) return new AppError('Fatal', `"${what}" is larger than this Swift cluster accepts in one object.`, { hint: 'Lower the segment threshold so large files are uploaded in segments.', details });
    if (s === 422) return new AppError('Integrity', `Swift received different bytes than were sent for "${what}".`, { hint: 'Try the upload again.', details });
    return new AppError('Fatal', `Swift rejected the request for "${what}" (HTTP ${s}: ${err.body.replace(/<[^>]+>/g, ' ').trim().slice(0, 200)}).`, {
      hint: 'Check the storage settings; if they are right, report this with the log.',
      details,
    });
  }
  if (isTransientNetworkError(err) || (err instanceof TypeError && /fetch failed|terminated/i.test(err.message))) {
    return new AppError('Transient', `The connection to Swift was lost (${what}).`, { cause: err, hint: 'Check the network connection and try again.' });
  }
  return new AppError('Fatal', `Swift request for "${what}" failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
