/**
 * The only file that touches Electron's `ipcMain` (lint enforces it): adapts it to the
 * small `IpcMainLike` interface the typed binding in `register.ts` is written against.
 * Only `handle` (invoke/reply) is used; the app never listens to fire-and-forget messages.
 */
import { ipcMain } from 'electron';
import type { IpcMainLike } from './register';

/** Electron's `ipcMain` as an `IpcMainLike`. */
export const electronIpcMain: IpcMainLike = {
  handle: (channel, listener) => ipcMain.handle(channel, (event, ...args: unknown[]) => listener(event, ...args)),
  removeHandler: (channel) => ipcMain.removeHandler(channel),
};
