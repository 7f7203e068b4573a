/**
 * The preload: exposes `window.api` (see `bridge.ts`) through `contextBridge`, and nothing
 * else. The only file that touches `ipcRenderer` (lint enforces it); the raw object never
 * reaches the page, and listeners get the payload only, never the IPC event.
 * Bundled into one CommonJS file (`dist/electron/preload.cjs`) as sandboxed preloads must be.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { buildDesktopApi } from './bridge';

contextBridge.exposeInMainWorld(
  'api',
  buildDesktopApi({
    invoke: (channel, args) => ipcRenderer.invoke(channel, args),
    on: (channel, listener) => {
      const wrapped = (_event: unknown, payload: unknown): void => listener(payload);
      ipcRenderer.on(channel, wrapped);
      return () => {
        ipcRenderer.removeListener(channel, wrapped);
      };
    },
    getPathForFile: (file) => webUtils.getPathForFile(file as Parameters<typeof webUtils.getPathForFile>[0]),
  }),
);
