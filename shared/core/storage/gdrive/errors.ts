/** Google Drive (gaxios) errors and raw HTTP answers → classified `AppError`s. */
import { AppError, cancelledError } from '../../errors';
import { isTransientNetworkError } from '../wrappers/streams';

/** The parts of a Drive error we read: HTTP status, Google's `reason`, `Retry-After`. */
export interface DriveErrorInfo {
  readonly status?: number;
  readonly reason?: string;
  readonly message?: string;
  readonly retryAfter?: string | null;
}

/** Extracts status/reason/Retry-After from a gaxios error (or returns undefined for other errors). */
export function driveErrorInfo(err: unknown): DriveErrorInfo | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { status?: unknown; response?: { status?: number; data?: unknown; headers?: { get?: (n: string) => string | null } } };
  const status = typeof e.status === 'number' ? e.status : e.response?.status;
  if (status === undefined) return undefined;
  let data = e.response?.data;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data) as unknown;
    } catch {
      /* not JSON */
    }
  }
  const apiErr = (data as { error?: { message?: string; errors?: Array<{ reason?: string }> } } | undefined)?.error;
  return {
    status,
    ...(apiErr?.errors?.[0]?.reason ? { reason: apiErr.errors[0].reason } : {}),
    ...(apiErr?.message ? { message: apiErr.message } : {}),
    retryAfter: e.response?.headers?.get?.('retry-after') ?? null,
  };
}

/** A Drive HTTP error built from a raw fetch answer (resumable uploads). */
export class DriveHttpError extends Error {
  constructor(readonly info: DriveErrorInfo) {
    super(`Google Drive answered HTTP ${info.status ?? '?'}${info.reason ? ` (${info.reason})` : ''}`);
    this.name = 'DriveHttpError';
  }
}

/** Reads a raw error answer into a `DriveHttpError`. */
export async function driveHttpError(res: Response): Promise<DriveHttpError> {
  const text = await res.text().catch(() => '');
  let reason: string | undefined;
  let message: string | undefined;
  try {
    const j = JSON.parse(text) as { error?: { message?: string; errors?: Array<{ reason?: string }> } };
    reason = j.error?.errors?.[0]?.reason;
    message = j.error?.message;
  } catch {
    /* not JSON */
  }
  return new DriveHttpError({ status: res.status, ...(reason ? { reason } : {}), ...(message ? { message } : {}), retryAfter: res.headers.get('retry-after') });
}

/** True when the error is an HTTP 401 from Drive. */
export function isDriveUnauthorized(err: unknown): boolean {
  const info = err instanceof DriveHttpError ? err.info : driveErrorInfo(err);
  return info?.status === 401;
}

const RATE_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'sharingRateLimitExceeded', 'backendError', 'internalError']);

/** Classifies an error of a Drive call about `what`. */
export function classifyDriveError(err: unknown, what: string, storage: string, signal?: AbortSignal): AppError {
  if (err instanceof AppError) return err;
  if (signal?.aborted || (err instanceof Error && err.name === 'AbortError')) return cancelledError(`The Google Drive request for "${what}"`);
  const info = err instanceof DriveHttpError ? err.info : driveErrorInfo(err);
  if (info?.status !== undefined) {
    const { status, reason } = info;
    const details = { status, ...(reason ? { reason } : {}) };
    const sec = info.retryAfter ? Number(info.retryAfter) : NaN;
    const retry = Number.isFinite(sec) ? { retryAfterMs: sec * 1000 } : {};
    if (status === 401) {
      return new AppError('AuthFailed', `Google rejected the sign-in of storage "${storage}".`, {
        hint: `Reconnect it: \`backup-desk storage connect ${storage}\` (or Connect in the app); for a service account, check its key.`,
        details: { ...details, reconnect: true },
      });
    }
    if (status === 429 || (status === 403 && reason !== undefined && RATE_REASONS.has(reason)) || status >= 500) {
      return new AppError('Transient', status >= 500 ? `Google Drive had a server error (HTTP ${status}) for "${what}".` : 'Google Drive is rate-limiting requests.', { hint: 'Wait a little and try again.', details, ...retry });
    }
    if (status === 404) return new AppError('NotFound', `"${what}" was not found on Google Drive.`, { hint: 'Check the folder id/path and that it is shared with this account.', details });
    if (status === 403) {
      if (reason === 'storageQuotaExceeded' || reason === 'quotaExceeded') return new AppError('Fatal', 'The Google Drive storage quota is used up.', { hint: 'Free space on the Drive (or the service account\'s), then try again.', details });
      if (reason === 'dailyLimitExceeded') return new AppError('Transient', 'The daily Google Drive API quota is used up.', { hint: 'Try again tomorrow or raise the quota.', details, retryAfterMs: 3_600_000 });
      return new AppError('PermissionDenied', `Google Drive refused access to "${what}"${reason ? ` (${reason})` : ''}.`, { hint: 'Share the folder with this account (Editor), or check the shared drive membership.', details });
    }
    return new AppError('Fatal', `Google Drive rejected the request for "${what}" (HTTP ${status}${info.message ? `: ${info.message}` : ''}).`, { hint: 'Check the storage settings; if they are right, report this with the log.', details });
  }
  if (isTransientNetworkError(err) || (err instanceof Error && /fetch failed|terminated|socket|ECONNRESET/i.test(err.message))) {
    return new AppError('Transient', `The connection to Google Drive was lost (${what}).`, { cause: err, hint: 'Check the network connection and try again.' });
  }
  return new AppError('Fatal', `Google Drive request for "${what}" failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
