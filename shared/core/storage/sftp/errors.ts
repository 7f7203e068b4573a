/** Classification of ssh2/SFTP errors into `AppError`s, where they arise. */
import { AppError, cancelledError } from '../../errors';
import { errorCode, isTransientNetworkError } from '../wrappers/streams';

/** SFTP status codes (draft-ietf-secsh-filexfer-02) that ssh2 puts in `err.code`. */
const SFTP_STATUS = { EOF: 1, NO_SUCH_FILE: 2, PERMISSION_DENIED: 3, FAILURE: 4, BAD_MESSAGE: 5, NO_CONNECTION: 6, CONNECTION_LOST: 7, OP_UNSUPPORTED: 8 } as const;

/** What the classifier needs for messages. */
export interface SftpErrorContext {
  readonly target: string; // user@host:port
  readonly path?: string;
  readonly signal?: AbortSignal;
}

/** Turns anything ssh2 / ssh2-sftp-client threw into a classified `AppError`. */
export function classifySftpError(err: unknown, ctx: SftpErrorContext): AppError {
  if (err instanceof AppError) return err;
  if (ctx.signal?.aborted) return cancelledError(`The SFTP operation on ${ctx.target}`);
  const e = (err ?? {}) as { code?: unknown; level?: string; message?: string };
  const message = e.message ?? String(err);
  const code = typeof e.code === 'number' ? e.code : errorCode(err);
  const what = ctx.path !== undefined ? `"${ctx.path}" on ${ctx.target}` : ctx.target;
  const base = { cause: err, details: { target: ctx.target, ...(code !== undefined ? { code } : {}) } };

  if (code === SFTP_STATUS.NO_SUCH_FILE || code === 'ENOENT' || /no such file/i.test(message)) {
    return new AppError('NotFound', `No such file ${what}.`, { ...base, hint: 'Check the folder and the name, or list the storage.' });
  }
  if (code === SFTP_STATUS.PERMISSION_DENIED || code === 'EACCES' || /permission denied/i.test(message)) {
    return new AppError('PermissionDenied', `Permission denied for ${what}.`, {
      ...base,
      hint: 'Check that the SFTP user may read (and write) this folder on the server.',
    });
  }
  if (e.level === 'client-authentication' || /authentication methods failed|ERR_BAD_AUTH/i.test(message) || code === 'ERR_BAD_AUTH') {
    return new AppError('AuthFailed', `The SFTP server ${ctx.target} refused the login.`, {
      ...base,
      hint: 'Check the user name and the password or key (and its passphrase); the key must be in the server\'s authorized_keys.',
    });
  }
  if (e.level === 'client-timeout' || /timed out/i.test(message)) {
    return new AppError('Transient', `The SFTP server ${ctx.target} did not answer in time.`, {
      ...base,
      hint: 'Check the host and port, and that the server is up; then try again.',
    });
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'EAI_AGAIN') {
    return new AppError('Transient', `Cannot reach the SFTP server ${ctx.target} (${String(code)}).`, {
      ...base,
      hint: `Check the host name and port of ${ctx.target}, and your network.`,
    });
  }
  if (
    code === SFTP_STATUS.NO_CONNECTION ||
    code === SFTP_STATUS.CONNECTION_LOST ||
    code === 'ERR_NOT_CONNECTED' ||
    /no sftp connection|not connected|connection lost|no response from server|channel (?:closed|not open)|socket/i.test(message) ||
    isTransientNetworkError(err)
  ) {
    return new AppError('Transient', `The connection to ${ctx.target} was lost.`, { ...base, hint: 'Try again; transfers resume where they stopped.' });
  }
  if (code === SFTP_STATUS.OP_UNSUPPORTED) {
    return new AppError('Unsupported', `The SFTP server ${ctx.target} does not support this operation: ${message}`, { ...base });
  }
  return new AppError('Fatal', `SFTP operation on ${what} failed: ${message}`, { ...base, hint: 'Check the storage settings and the server logs.' });
}
