/** The one error for a storage name that is not configured, wherever it is named (a command, a schedule, a rotation). */
import { AppError } from '../errors';

/** `NotFound` for the storage names `unknown`, naming the configured ones (or how to add one). */
export function unknownStorageError(unknown: readonly string[], configured: readonly string[]): AppError {
  const names = unknown.map((n) => `"${n}"`).join(', ');
  const some = configured.length > 0;
  return new AppError('NotFound', `There is no storage named ${names}.`, {
    hint: some ? `Configured storages: ${configured.join(', ')}.` : 'Add one under Storages first.',
    details: { cliHint: some ? `Configured storages: ${configured.join(', ')}.` : 'Add one with `backup-desk storage add NAME --type …` first.' },
  });
}
