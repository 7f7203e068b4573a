import { describe, expect, it } from 'vitest';
import type { OpenDialogOptions, SaveDialogOptions } from 'electron';
import { createHostApi, BACKUP_FILE_FILTERS, type HostNatives } from '../../../../electron/main/host';

function natives(open: { canceled: boolean; filePaths: string[] }, save: { canceled: boolean; filePath?: string }) {
  const calls: { open: OpenDialogOptions[]; save: SaveDialogOptions[]; shown: string[]; vault: Array<[string, string | undefined]> } = { open: [], save: [], shown: [], vault: [] };
  const n: HostNatives = {
    showOpenDialog: async (o) => (calls.open.push(o), open),
    showSaveDialog: async (o) => (calls.save.push(o), save),
    showItemInFolder: (p) => void calls.shown.push(p),
    answerVault: (id, pass) => void calls.vault.push([id, pass]),
  };
  return { n, calls };
}

describe('createHostApi', () => {
  it('hands the vault passphrase (or none) to the waiting prompt', async () => {
    const { n, calls } = natives({ canceled: true, filePaths: [] }, { canceled: true });
    const host = createHostApi(n);
    expect(await host['host:unlock-vault']({ requestId: 'r1', passphrase: 'pw' })).toEqual({});
    await host['host:unlock-vault']({ requestId: 'r2' });
    expect(calls.vault).toEqual([['r1', 'pw'], ['r2', undefined]]);
  });

  it('opens a file dialog offering backup files first, and returns the chosen path', async () => {
    const { n, calls } = natives({ canceled: false, filePaths: ['/b/acme.zip'] }, { canceled: true });
    const host = createHostApi(n);
    expect(await host['host:pick-file']({})).toBe('/b/acme.zip');
    expect(calls.open[0]?.properties).toEqual(['openFile']);
    expect(calls.open[0]?.filters?.[0]).toEqual({ name: BACKUP_FILE_FILTERS[0].name, extensions: [...BACKUP_FILE_FILTERS[0].extensions] });
    expect(calls.open[0]).not.toHaveProperty('title');
    await host['host:pick-file']({ title: 'T', defaultPath: '/b', filters: [{ name: 'Zip', extensions: ['zip'] }] });
    expect(calls.open[1]).toMatchObject({ title: 'T', defaultPath: '/b', filters: [{ name: 'Zip', extensions: ['zip'] }] });
  });

  it('returns undefined when a dialog is cancelled', async () => {
    const host = createHostApi(natives({ canceled: true, filePaths: [] }, { canceled: true }).n);
    expect(await host['host:pick-file']({})).toBeUndefined();
    expect(await host['host:pick-folder']({})).toBeUndefined();
    expect(await host['host:pick-save-file']({})).toBeUndefined();
  });

  it('picks folders (creatable) and save paths (with overwrite confirmation)', async () => {
    const { n, calls } = natives({ canceled: false, filePaths: ['/restore/here'] }, { canceled: false, filePath: '/dl/acme.zip' });
    const host = createHostApi(n);
    expect(await host['host:pick-folder']({ title: 'Where' })).toBe('/restore/here');
    expect(calls.open[0]?.properties).toEqual(['openDirectory', 'createDirectory']);
    expect(await host['host:pick-save-file']({ defaultPath: 'acme.zip' })).toBe('/dl/acme.zip');
    expect(calls.save[0]?.properties).toContain('showOverwriteConfirmation');
  });

  it('shows absolute paths in the file manager and refuses relative ones', async () => {
    const { n, calls } = natives({ canceled: true, filePaths: [] }, { canceled: true });
    const host = createHostApi(n);
    expect(await host['host:show-in-folder']({ path: '/b/acme.zip' })).toEqual({});
    await expect(host['host:show-in-folder']({ path: 'b/acme.zip' })).rejects.toMatchObject({ kind: 'InvalidInput' });
    expect(calls.shown).toEqual(['/b/acme.zip']);
  });
});
