/** Classification of S3 SDK and network errors into `AppError`s, where they arise. */
import { AppError, cancelledError } from '../../errors';
import { errorCode, isTransientNetworkError } from '../wrappers/streams';

/** What the classifier needs to write useful messages (never secrets). */
export interface S3ErrorContext {
  readonly bucket: string;
  readonly endpoint: string;
  readonly key?: string;
  readonly signal?: AbortSignal;
}

interface SdkError {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
  $retryable?: unknown;
}

/** Parses a Retry-After header (seconds or HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Turns anything the S3 SDK (or the socket under it) threw into a classified `AppError`. */
export function classifyS3Error(err: unknown, ctx: S3ErrorContext): AppError {
  if (err instanceof AppError) return err;
  const e = (err ?? {}) as SdkError;
  const name = e.name ?? e.Code ?? '';
  const status = e.$metadata?.httpStatusCode;
  const what = ctx.key !== undefined ? `"${ctx.key}" in bucket "${ctx.bucket}"` : `bucket "${ctx.bucket}"`;
  const base = { cause: err, details: { bucket: ctx.bucket, endpoint: ctx.endpoint, ...(name ? { code: name } : {}), ...(status ? { status } : {}) } };
  const msg = e.message && e.message !== name && e.message !== 'UnknownError' ? `: ${e.message}` : '';

  if (ctx.signal?.aborted || name === 'AbortError' || errorCode(err) === 'ABORT_ERR') return cancelledError(`The S3 request for ${what}`);

  if (name === 'NoSuchBucket') {
    return new AppError('NotFound', `The bucket "${ctx.bucket}" does not exist at ${ctx.endpoint}.`, {
      ...base,
      hint: `Check the bucket name "${ctx.bucket}", the endpoint and the region, or create the bucket.`,
    });
  }
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
    return new AppError('NotFound', `No object ${what}.`, { ...base, hint: 'Check the name, or list the storage to see what is there.' });
  }
  if (name === 'InvalidAccessKeyId') {
    return new AppError('AuthFailed', `The S3 server at ${ctx.endpoint} does not know this access key id.`, {
      ...base,
      hint: 'Check the access key id (and that it belongs to this provider and region).',
    });
  }
  if (name === 'SignatureDoesNotMatch') {
    return new AppError('AuthFailed', `The S3 server at ${ctx.endpoint} rejected the request signature.`, {
      ...base,
      hint: 'The secret access key is wrong for this access key id: set it again (Storages: Change secret).',
      details: { ...base.details, cliHint: 'The secret access key is wrong for this access key id: set it again with `backup-desk storage set-secret` and the storage\'s name.' },
    });
  }
  if (name === 'ExpiredToken' || name === 'InvalidToken' || name === 'TokenRefreshRequired') {
    return new AppError('AuthFailed', `The S3 credentials have expired${msg}.`, { ...base, hint: 'Create new credentials and update the storage.' });
  }
  if (name === 'AccessDenied' || name === 'Forbidden' || name === 'AllAccessDisabled' || status === 403) {
    return new AppError('PermissionDenied', `Access to ${what} was denied${msg}.`, {
      ...base,
      hint: 'Check that the key is allowed s3:ListBucket, s3:GetObject (and s3:PutObject/DeleteObject to write) on this bucket; a wrong secret also shows as denied on some servers.',
    });
  }
  if (name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed' || name === 'IllegalLocationConstraintException' || status === 301) {
    return new AppError('Fatal', `The bucket "${ctx.bucket}" is not in the configured region or endpoint${msg}.`, {
      ...base,
      hint: 'Set the region (and endpoint) where the bucket was created.',
    });
  }
  const retryAfterMs = parseRetryAfter(e.$response?.headers?.['retry-after']);
  if (
    status === 429 ||
    status === 503 ||
    (status !== undefined && status >= 500) ||
    ['SlowDown', 'ServiceUnavailable', 'InternalError', 'RequestTimeout', 'RequestTimeTooSkewed', 'TimeoutError', 'ThrottlingException', 'Throttling', 'RequestLimitExceeded'].includes(name)
  ) {
    return new AppError('Transient', `The S3 server is busy or failing (${name || status})${msg}.`, {
      ...base,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      hint: 'This usually passes; try again in a moment.',
    });
  }
  const code = errorCode(err);
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH') {
    return new AppError('Transient', `Cannot reach the S3 endpoint ${ctx.endpoint} (${code}).`, {
      ...base,
      hint: /^https?:\/\//.test(ctx.endpoint) ? `Check the endpoint URL ${ctx.endpoint}, your network and any proxy.` : `Check your network and any proxy (${ctx.endpoint}).`,
    });
  }
  if (isTransientNetworkError(err)) {
    return new AppError('Transient', `The connection to ${ctx.endpoint} was lost${code ? ` (${code})` : ''}.`, {
      ...base,
      hint: 'Try again; transfers resume where they stopped.',
    });
  }
  if (status === 400 && name === 'InvalidBucketName') {
    return new AppError('InvalidInput', `"${ctx.bucket}" is not a valid bucket name.`, { ...base, hint: 'Check the bucket name.' });
  }
  return new AppError('Fatal', `S3 request for ${what} failed (${name || status || 'unknown error'})${msg}.`, {
    ...base,
    hint: 'Check the storage settings; if this persists, the server may not support this request.',
  });
}
