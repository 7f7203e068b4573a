/** Dropbox SDK/HTTP errors → classified `AppError`s. */
import { DropboxResponseError } from 'dropbox';
import { AppError, cancelledError } from '../../errors';
import { isTransientNetworkError } from '../wrappers/streams';

/** The `error_summary` of a Dropbox route error (e.g. `path/not_found/..`), or ''. */
export function errorSummary(err: unknown): string {
  if (!(err instanceof DropboxResponseError)) return '';
  const e = err.error as { error_summary?: unknown } | string | undefined;
  return typeof e === 'object' && e !== null && typeof e.error_summary === 'string' ? e.error_summary : '';
}

/** True when Dropbox answered 401 (invalid or expired access token). */
export function isUnauthorized(err: unknown): boolean {
  return err instanceof DropboxResponseError && err.status === 401;
}

/** The `correct_offset` of an `incorrect_offset` upload-session error, if it is one. */
export function correctOffset(err: unknown): number | undefined {
  if (!(err instanceof DropboxResponseError) || err.status !== 409) return undefined;
  const e = (err.error as { error?: Record<string, unknown> } | undefined)?.error;
  const inner = (e?.['.tag'] === 'lookup_failed' ? (e.lookup_failed as Record<string, unknown> | undefined) : e) ?? {};
  return inner['.tag'] === 'incorrect_offset' && typeof inner.correct_offset === 'number' ? inner.correct_offset : undefined;
}

function retryAfterMs(err: DropboxResponseError<unknown>): number | undefined {
  const h = (err.headers as { get?: (n: string) => string | null } | undefined)?.get?.('retry-after');
  const fromHeader = h ? Number(h) : NaN;
  if (Number.isFinite(fromHeader)) return fromHeader * 1000;
  const body = (err.error as { error?: { retry_after?: unknown } } | undefined)?.error;
  return typeof body?.retry_after === 'number' ? body.retry_after * 1000 : undefined;
}

/** Classifies any error from a Dropbox call about `what` (a path or key, for messages). */
export function classifyDropboxError(err: unknown, what: string, storage: string, signal?: AbortSignal): AppError {
  if (err instanceof AppError) return err;
  if (signal?.aborted || (err instanceof Error && err.name === 'AbortError')) return cancelledError(`The Dropbox request for "${what}"`);
  if (err instanceof DropboxResponseError) {
    const summary = errorSummary(err);
    const details = { status: err.status, ...(summary ? { summary } : {}) };
    if (err.status === 401) {
      return new AppError('AuthFailed', `Dropbox rejected the sign-in of storage "${storage}" (${summary || 'invalid token'}).`, {
        hint: `Reconnect it: \`backup-desk storage connect ${storage}\` (or Connect in the app).`,
        details: { ...details, reconnect: true },
      });
    }
    if (err.status === 429) {
      const ms = retryAfterMs(err);
      return new AppError('Transient', 'Dropbox is rate-limiting requests.', { hint: 'Wait a little and try again.', details, ...(ms !== undefined ? { retryAfterMs: ms } : {}) });
    }
    if (err.status >= 500) return new AppError('Transient', `Dropbox had a server error (HTTP ${err.status}) for "${what}".`, { hint: 'Try again in a moment.', details });
    if (err.status === 403) return new AppError('PermissionDenied', `Dropbox refused access to "${what}".`, { hint: 'Check the app permissions (scopes) and reconnect.', details });
    if (err.status === 409) {
      const co = correctOffset(err);
      if (co !== undefined) {
        return new AppError('Conflict', `The Dropbox upload session of "${what}" expected another offset (${co}).`, { hint: 'Start the upload again.', details: { ...details, correctOffset: co } });
      }
      if (/(^|\/)(not_found|not_file|not_folder)(\/|$)/.test(summary)) return new AppError('NotFound', `"${what}" was not found on Dropbox.`, { hint: 'Check the folder path; the object may have been deleted.', details });
      if (/insufficient_space/.test(summary)) return new AppError('Fatal', 'The Dropbox account is full.', { hint: 'Free some space on Dropbox, then try again.', details });
      if (/^reset(\/|$)/.test(summary)) return new AppError('Transient', 'The Dropbox listing cursor expired; the listing must start again.', { hint: 'Try the listing again.', details });
      if (/too_many_write_operations|too_many_requests/.test(summary)) return new AppError('Transient', 'Dropbox is busy with other writes to this folder.', { hint: 'Try again in a moment.', details });
      if (/no_write_permission|restricted_content|no_permission|disallowed_name|team_folder|malformed_path/.test(summary)) {
        return new AppError('PermissionDenied', `Dropbox does not allow this for "${what}" (${summary}).`, { hint: 'Check the folder and the app permissions.', details });
      }
      if (/payload_too_large/.test(summary)) return new AppError('Fatal', `"${what}" is too large for a single Dropbox upload.`, { hint: 'Use a smaller upload chunk size.', details });
      if (/content_hash_mismatch/.test(summary)) return new AppError('Integrity', `Dropbox received different bytes than were sent for "${what}".`, { hint: 'Try the upload again.', details });
      if (/conflict/.test(summary)) return new AppError('Conflict', `"${what}" conflicts with an existing file or folder on Dropbox.`, { hint: 'Rename or remove the conflicting entry.', details });
      return new AppError('Fatal', `Dropbox refused the request for "${what}" (${summary || 'route error'}).`, { details });
    }
    const text = typeof err.error === 'string' ? err.error.slice(0, 200) : summary;
    return new AppError('Fatal', `Dropbox rejected the request for "${what}" (HTTP ${err.status}${text ? `: ${text}` : ''}).`, {
      hint: 'This is likely a bug or an unsupported setting; report it with the log.',
      details,
    });
  }
  if (isTransientNetworkError(err) || (err instanceof TypeError && /fetch failed|terminated/i.test(err.message))) {
    return new AppError('Transient', `The connection to Dropbox was lost (${what}).`, { cause: err, hint: 'Check the network connection and try again.' });
  }
  return new AppError('Fatal', `Dropbox request for "${what}" failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
