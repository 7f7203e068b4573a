/**
 * The host-only methods (`hostMethods` in `common/protocol.ts`): native open/save/folder
 * dialogs and "show in folder". Written over injected dialog functions, so the mapping is
 * tested without Electron; `index.ts` passes Electron's `dialog` and `shell`.
 */
import { isAbsolute } from 'node:path';
import type { OpenDialogOptions, SaveDialogOptions } from 'electron';
import { AppError } from '../../shared/core/errors';
import type { HostApi } from '../common/protocol';

/** The native functions the host methods need (Electron's `dialog`/`shell`, bound to the window). */
export interface HostNatives {
  showOpenDialog(opts: OpenDialogOptions): Promise<{ readonly canceled: boolean; readonly filePaths: readonly string[] }>;
  showSaveDialog(opts: SaveDialogOptions): Promise<{ readonly canceled: boolean; readonly filePath?: string }>;
  showItemInFolder(path: string): void;
  /** Hands the page's answer to the waiting vault prompt (`VaultPrompt.answer`). */
  answerVault(requestId: string, passphrase?: string): void;
}

/** Backup files the open dialog offers first. */
export const BACKUP_FILE_FILTERS = [
  { name: 'Odoo backups', extensions: ['zip', 'dump', 'sql', 'gz', 'enc', 'gpg', 'pgp', 'asc'] },
  { name: 'All files', extensions: ['*'] },
] as const;

const opt = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

/** Builds the host methods over `natives`. */
export function createHostApi(natives: HostNatives): HostApi {
  return {
    'host:pick-file': async (a) => {
      const r = await natives.showOpenDialog({
        properties: ['openFile'],
        filters: a.filters ? a.filters.map((f) => ({ name: f.name, extensions: [...f.extensions] })) : BACKUP_FILE_FILTERS.map((f) => ({ name: f.name, extensions: [...f.extensions] })),
        ...opt('title', a.title),
        ...opt('defaultPath', a.defaultPath),
      });
      return r.canceled ? undefined : r.filePaths[0];
    },
    'host:pick-folder': async (a) => {
      const r = await natives.showOpenDialog({
        properties: ['openDirectory', 'createDirectory'],
        ...opt('title', a.title),
        ...opt('defaultPath', a.defaultPath),
      });
      return r.canceled ? undefined : r.filePaths[0];
    },
    'host:pick-save-file': async (a) => {
      const r = await natives.showSaveDialog({
        properties: ['createDirectory', 'showOverwriteConfirmation'],
        ...opt('filters', a.filters?.map((f) => ({ name: f.name, extensions: [...f.extensions] }))),
        ...opt('title', a.title),
        ...opt('defaultPath', a.defaultPath),
      });
      return r.canceled || !r.filePath ? undefined : r.filePath;
    },
    'host:show-in-folder': async (a) => {
      if (!isAbsolute(a.path)) {
        throw new AppError('InvalidInput', `Not an absolute path: ${a.path}`, { hint: 'Pass the full path of the file or folder to show.' });
      }
      natives.showItemInFolder(a.path);
      return {};
    },
    'host:unlock-vault': async (a) => {
      natives.answerVault(a.requestId, a.passphrase);
      return {};
    },
  };
}
