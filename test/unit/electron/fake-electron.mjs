// A stand-in for the `electron` module, for running the bundled main process under plain Node
// where the Electron binary cannot be installed (test/unit/electron/bundle.test.ts). It records
// what the app asks of Electron in `globalThis.__electron` so a driver can inspect and drive it.
// It is the host's surface, not our logic: nothing here decides anything. It does enforce
// Electron's ordering rules, throwing as Electron does (or where Electron's docs say "must"):
// some calls only before `ready`, others only after it.
const rec = (globalThis.__electron = {
  ready: false,
  appOn: [],
  log: [],
  appHandlers: {},
  ipc: new Map(),
  protocols: new Map(),
  privileged: [],
  windows: [],
  sent: [],
  menu: undefined,
  headersListener: undefined,
  permissionRequest: undefined,
  permissionCheck: undefined,
  errors: [],
  quitCalls: 0,
});
const on = (store) => (event, cb) => {
  (store[event] ??= []).push(cb);
  if (store === rec.appHandlers) rec.appOn.push([event, rec.ready]);
};
const beforeReady = (what) => {
  if (rec.ready) throw new Error(`${what} can only be called before the app is ready`);
};
const afterReady = (what) => {
  if (!rec.ready) throw new Error(`${what} cannot be used before the app is ready`);
};
export const app = {
  isPackaged: false,
  setPath: (k, v) => rec.log.push(`setPath ${k} ${v}`),
  getPath: () => '/tmp',
  getAppPath: () => process.cwd(),
  requestSingleInstanceLock: () => globalThis.__electronLock !== false,
  quit: () => {
    rec.quitCalls++;
    rec.log.push('quit');
  },
  exit: (code) => rec.log.push(`exit ${code}`),
  whenReady: () =>
    new Promise((resolve) =>
      setImmediate(() => {
        rec.ready = true;
        resolve();
      }),
    ),
  isReady: () => rec.ready,
  on: on(rec.appHandlers),
  setAppUserModelId: () => undefined,
  enableSandbox: () => {
    beforeReady('app.enableSandbox()');
    rec.log.push('enableSandbox');
  },
};
export const protocol = {
  registerSchemesAsPrivileged: (s) => {
    beforeReady('protocol.registerSchemesAsPrivileged()');
    rec.privileged.push(...s);
  },
  handle: (scheme, handler) => {
    afterReady('protocol.handle()');
    rec.protocols.set(scheme, handler);
  },
};
export const ipcMain = {
  handle: (ch, fn) => {
    if (rec.ipc.has(ch)) throw new Error(`Attempted to register a second handler for '${ch}'`);
    rec.ipc.set(ch, fn);
  },
  removeHandler: (ch) => rec.ipc.delete(ch),
};
const defaultSession = {
    webRequest: { onHeadersReceived: (fn) => (rec.headersListener = fn) },
    setPermissionRequestHandler: (fn) => (rec.permissionRequest = fn),
    setPermissionCheckHandler: (fn) => (rec.permissionCheck = fn),
    setDevicePermissionHandler: () => undefined,
    on: () => undefined,
};
export const session = {
  get defaultSession() {
    afterReady('session.defaultSession');
    return defaultSession;
  },
};
export const nativeTheme = { shouldUseDarkColors: false };
export const nativeImage = { createEmpty: () => ({ reps: [], addRepresentation(r) { this.reps.push(r); } }) };
let nextId = 1;
export class BrowserWindow {
  constructor(opts) {
    afterReady('new BrowserWindow()');
    this.opts = opts;
    this.handlers = {};
    this.loaded = [];
    const id = nextId++;
    this.webContents = {
      id,
      on: () => undefined,
      setWindowOpenHandler: (fn) => (this.windowOpenHandler = fn),
      send: (ch, payload) => rec.sent.push([ch, payload]),
      isDestroyed: () => false,
      isLoading: () => false,
      once: () => undefined,
    };
    rec.windows.push(this);
  }
  static getAllWindows() {
    return rec.windows.filter((w) => !w.destroyed);
  }
  static getFocusedWindow() {
    return null;
  }
  once(event, cb) {
    (this.handlers[event] ??= []).push(cb);
  }
  on(event, cb) {
    (this.handlers[event] ??= []).push(cb);
  }
  loadURL(url) {
    this.loaded.push(url);
    return Promise.resolve();
  }
  isDestroyed() {
    return !!this.destroyed;
  }
  isMinimized() {
    return false;
  }
  restore() {}
  show() {}
  focus() {}
}
export const Menu = { buildFromTemplate: (t) => t, setApplicationMenu: (m) => (rec.menu = m) };
export class Tray {
  constructor() {
    afterReady('new Tray()');
  }
  setToolTip(t) {
    rec.trayTip = t;
  }
  setContextMenu() {}
  on() {}
  destroy() {
    rec.log.push('tray destroyed');
  }
}
export class Notification {
  static isSupported() {
    return true;
  }
  constructor(o) {
    afterReady('new Notification()');
    this.o = o;
  }
  on() {}
  show() {
    rec.log.push(`notify ${this.o.title}`);
  }
}
export const dialog = {
  showErrorBox: (t, m) => rec.errors.push(`${t}: ${m}`),
  showOpenDialog: async () => (afterReady('dialog.showOpenDialog()'), { canceled: true, filePaths: [] }),
  showSaveDialog: async () => (afterReady('dialog.showSaveDialog()'), { canceled: true }),
  showMessageBox: async () => (afterReady('dialog.showMessageBox()'), { response: 0 }),
};
export const shell = { openExternal: async (u) => void rec.log.push(`openExternal ${u}`), openPath: async () => '', showItemInFolder: () => undefined };
export const webUtils = {};
export const contextBridge = {};
export const ipcRenderer = {};
export default { app, protocol, ipcMain, session, nativeTheme, nativeImage, BrowserWindow, Menu, Tray, Notification, dialog, shell };
