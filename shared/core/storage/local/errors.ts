/** Classifies Node file-system errors into `AppError` kinds, where they arise. */
import { AppError, cancelledError } from '../../errors';

/** Turns an fs error about `what` (a path or key, for the message) into an `AppError`. */
export function classifyFsError(err: unknown, what: string): AppError {
  if (err instanceof AppError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e?.name === 'AbortError' || e?.code === 'ABORT_ERR') return cancelledError();
  switch (e?.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new AppError('NotFound', `${what} does not exist.`, { cause: err });
    case 'EISDIR':
      return new AppError('NotFound', `${what} is a folder, not a file.`, { cause: err });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new AppError('PermissionDenied', `Permission denied for ${what}.`, {
        hint: 'Check the folder permissions for the user running Odoo Backup Desk.',
        cause: err,
      });
    case 'ENOSPC':
    case 'EDQUOT':
      return new AppError('Fatal', `No space left on the disk while writing ${what}.`, { hint: 'Free some disk space and try again.', cause: err });
    case 'EMFILE':
    case 'ENFILE':
    case 'EAGAIN':
    case 'EBUSY':
    case 'EIO':
    case 'ETIMEDOUT':
    case 'ESTALE':
      return new AppError('Transient', `Temporary error on ${what}: ${e.message}`, { cause: err });
    default:
      return new AppError('Fatal', `File-system error on ${what}: ${e?.message ?? String(err)}`, { cause: err });
  }
}
