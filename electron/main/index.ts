/**
 * The Electron main process: a thin host around the core's `Desk`. It owns the app's
 * life cycle (single instance, quit with running jobs), windows, menu, tray, native
 * dialogs and notifications, and exposes the Desk over the typed IPC binding. No business
 * rules live here.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, Menu, nativeImage, Notification, protocol, shell, Tray, type NativeImage } from 'electron';
import { resolveHome } from '../../shared/core/config';
import { Desk, toDto, APP_VERSION } from '../../shared/core/desk';
import { jsonLogger, type Logger } from '../../shared/core/util/logger';
import { appFiles, homeArg } from './app-paths';
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, appProtocolHandler } from './app-protocol';
import { createHostApi } from './host';
import { iconPng } from './icon-art';
import { broadcastTo, forwardJobEvents, registerApi, senderCheck } from './ipc/register';
import { electronIpcMain } from './ipc/ipc-main';
import { menuTemplate } from './menu';
import { closeMustAskFirst, quitWhenAllWindowsClosed } from './lifecycle';
import { NotificationKeeper, notifyJobEnds, type JobNotice } from './notifications';
import { QuitGuard, quitPrompt } from './quit-guard';
import { cspHeader, PRODUCT_NAME } from './security';
import { signInOpener } from './sign-in-opener';
import { hostScheduler } from './scheduler-host';
import { createTray, type TrayHandle, type TraySchedules } from './tray';
import { VaultPrompt } from './vault-prompt';
import { createMainWindow, hardenApp } from './windows';

const dev = !app.isPackaged;
const files = appFiles({ mainDir: dirname(fileURLToPath(import.meta.url)), packaged: app.isPackaged, env: process.env });

let mainWindow: BrowserWindow | undefined;

function appIcon(sizes: readonly number[]): NativeImage {
  const img = nativeImage.createEmpty();
  const base = sizes[0] as number;
  for (const s of sizes) img.addRepresentation({ scaleFactor: s / base, width: s, height: s, buffer: iconPng(s) });
  return img;
}

function openLog(home: string): Logger {
  try {
    const dir = join(home, 'logs');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stream = createWriteStream(join(dir, 'desktop.log'), { flags: 'a', mode: 0o600 });
    stream.on('error', () => undefined);
    return jsonLogger((line) => stream.write(line), dev ? 'debug' : 'info', { face: 'electron' });
  } catch {
    return jsonLogger((line) => process.stderr.write(line), 'info', { face: 'electron' });
  }
}

/** The host's state: filled in as the app starts; handlers registered before `ready` read it. */
interface HostState {
  desk?: Desk;
  guard?: QuitGuard;
  tray?: TrayHandle;
  create?: () => BrowserWindow;
}
const state: HostState = {};

function showWindow(create: () => BrowserWindow): BrowserWindow {
  if (!mainWindow || mainWindow.isDestroyed()) mainWindow = create();
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.show();
  mainWindow.focus();
  return mainWindow;
}

/** Sends an event to the main window once its page has loaded (creating and showing it). */
function sendToWindow(channel: string, payload: unknown): void {
  if (!state.create) return;
  const win = showWindow(state.create);
  if (win.webContents.isLoading()) win.webContents.once('did-finish-load', () => win.webContents.send(channel, payload));
  else win.webContents.send(channel, payload);
}

/** Life-cycle handlers, registered before `ready` so an early quit or second launch is never lost. */
function registerLifecycle(): void {
  app.on('before-quit', (event) => {
    // Before the core is open there is nothing to shut down: let the quit through.
    state.guard?.onBeforeQuit(event);
  });
  app.on('second-instance', () => {
    if (state.create) showWindow(state.create);
  });
  app.on('activate', () => {
    if (state.create) showWindow(state.create);
  });
  app.on('window-all-closed', () => {
    // The app lives on in the tray (the scheduler runs there); quit only from the tray or menu.
    if (quitWhenAllWindowsClosed({ platform: process.platform, hasTray: state.tray !== undefined })) app.quit();
  });
}

async function openDesk(home: string, log: Logger, vault: VaultPrompt): Promise<Desk | undefined> {
  try {
    // Secrets open lazily on first use (the Desk's default store: the vault when the home
    // has one, else the OS keychain); a missing keychain then reaches the UI as an
    // `Unsupported` error with its hint, instead of stopping the app here. A vault-only
    // machine asks for the vault's passphrase in the window.
    return await Desk.open({
      home,
      log,
      vaultPassphrase: () => vault.ask(),
      // OAuth sign-in (storages:connect): only a plain http(s) URL reaches the system browser.
      openUrl: signInOpener((url) => shell.openExternal(url)),
    });
  } catch (err) {
    const e = err as { message?: string; hint?: string };
    log.error('app: cannot open the home folder', { error: String(e.message ?? err) });
    dialog.showErrorBox(`${PRODUCT_NAME} cannot start`, [e.message ?? String(err), e.hint ?? '', `Home folder: ${home}`].filter(Boolean).join('\n\n'));
    app.exit(1);
    return undefined;
  }
}

function windowFactory(desk: Desk, log: Logger, ownWindows: Set<number>): () => BrowserWindow {
  const windowIcon = process.platform === 'linux' ? appIcon([256]) : undefined;
  return (): BrowserWindow => {
    const win = createMainWindow({ location: files.location, preloadPath: files.preloadPath, dev, log, ...(windowIcon ? { icon: windowIcon } : {}) });
    const id = win.webContents.id;
    ownWindows.add(id);
    win.on('closed', () => {
      ownWindows.delete(id);
      if (mainWindow === win) mainWindow = undefined;
    });
    win.on('close', (event) => {
      // Closing the last window quits only without a tray: with jobs running, ask first.
      const jobsRunning = desk.jobs.list().some((j) => j.state === 'running');
      if (!closeMustAskFirst({ platform: process.platform, hasTray: state.tray !== undefined, jobsRunning, quitting: state.guard?.quitting ?? false })) return;
      event.preventDefault();
      app.quit();
    });
    return win;
  };
}

function bindIpc(desk: Desk, log: Logger, ownWindows: Set<number>, vault: VaultPrompt): void {
  registerApi({
    ipc: electronIpcMain,
    api: desk,
    host: createHostApi({
      showOpenDialog: (o) => (mainWindow ? dialog.showOpenDialog(mainWindow, o) : dialog.showOpenDialog(o)),
      showSaveDialog: (o) => (mainWindow ? dialog.showSaveDialog(mainWindow, o) : dialog.showSaveDialog(o)),
      showItemInFolder: (p) => shell.showItemInFolder(p),
      answerVault: (id, passphrase) => vault.answer(id, passphrase),
    }),
    isTrustedSender: senderCheck({ location: files.location, isOwnWebContents: (id) => ownWindows.has(id) }),
    log,
  });
  forwardJobEvents(
    desk.jobs,
    broadcastTo(() => BrowserWindow.getAllWindows().filter((w) => ownWindows.has(w.webContents.id)).map((w) => w.webContents)),
    toDto,
    log,
  );
}

/** Shows desktop notifications (kept referenced until they end); a click opens the window. */
function notifier(create: () => BrowserWindow): ((notice: JobNotice) => void) | undefined {
  if (!Notification.isSupported()) return undefined;
  const keeper = new NotificationKeeper();
  return (notice) => {
    const n = new Notification({ title: notice.title, body: notice.body, icon: appIcon([256]) });
    n.on('click', () => showWindow(create));
    keeper.show(n);
  };
}

function startNotifications(desk: Desk, notify: ((notice: JobNotice) => void) | undefined): void {
  if (!notify) return;
  notifyJobEnds(desk.jobs, { isAppFocused: () => BrowserWindow.getFocusedWindow() !== null, show: (notice) => notify(notice) });
}

/** Runs the scheduler in this process while the app is open (the tray keeps it alive). */
function startScheduler(desk: Desk, log: Logger, notify: ((notice: JobNotice) => void) | undefined): void {
  hostScheduler({
    scheduler: desk.schedules.scheduler,
    ...(state.tray ? { setTraySchedules: (s: TraySchedules) => state.tray?.setSchedules(s) } : {}),
    notify: (notice) => notify?.(notice),
    log,
  }).catch((err: unknown) => log.error('scheduler: could not start', { error: String(err) }));
}

/** Keeps the private PostgreSQL running while the app is open, when this home uses it (the core decides; `desk.close()` on quit stops it). */
function keepEmbeddedRunning(desk: Desk): void {
  void desk.startEmbeddedWithApp();
}

function quitGuard(desk: Desk, log: Logger): QuitGuard {
  return new QuitGuard({
    jobs: desk.jobs,
    confirm: async (running) => {
      const opts = quitPrompt(running);
      const r = mainWindow && !mainWindow.isDestroyed() ? await dialog.showMessageBox(mainWindow, opts) : await dialog.showMessageBox(opts);
      return r.response === 1;
    },
    cancel: (id) => desk.jobs.cancel(id),
    shutdown: async () => {
      log.info('app: quitting');
      state.tray?.destroy();
      await desk.close();
    },
    quit: () => app.quit(),
    onError: (err) => log.error('app: error while quitting', { error: String(err) }),
  });
}

function installMenu(home: string, log: Logger, create: () => BrowserWindow): void {
  const openBackup = async (): Promise<void> => {
    const win = showWindow(create);
    const r = await dialog.showOpenDialog(win, { title: 'Open Backup', properties: ['openFile'], filters: [{ name: 'Odoo backups', extensions: ['zip', 'dump', 'sql', 'gz', 'enc', 'gpg'] }, { name: 'All files', extensions: ['*'] }] });
    const path = r.filePaths[0];
    if (!r.canceled && path) win.webContents.send('app:open-backup', { path });
  };
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      menuTemplate({
        appName: PRODUCT_NAME,
        platform: process.platform,
        dev,
        actions: {
          openBackup: () => void openBackup().catch((err: unknown) => log.error('menu: open backup failed', { error: String(err) })),
          openDocs: () => {
            const readme = app.isPackaged ? join(process.resourcesPath, 'README.md') : join(app.getAppPath(), 'README.md');
            void shell.openPath(readme);
          },
          showAbout: () =>
            void dialog.showMessageBox({
              type: 'info',
              title: `About ${PRODUCT_NAME}`,
              message: `${PRODUCT_NAME} ${APP_VERSION}`,
              detail: `Electron ${process.versions.electron} · Chromium ${process.versions.chrome} · Node ${process.versions.node}\nHome folder: ${home}`,
              icon: appIcon([128]),
            }),
        },
      }),
    ),
  );
}

function startTray(desk: Desk, log: Logger, create: () => BrowserWindow): TrayHandle | undefined {
  try {
    const runNow = (name: string): void => {
      desk.schedules.startRun(name).result.catch((err: unknown) => log.warn('tray: run now failed', { job: name, error: String(err) }));
    };
    const tray = createTray({ Tray, Menu, icon: appIcon([16, 32]), appName: PRODUCT_NAME, actions: { showWindow: () => void showWindow(create), quit: () => app.quit(), runNow } });
    const refresh = (): void => tray.update(desk.jobs.list());
    desk.jobs.on('update', refresh);
    desk.jobs.on('done', refresh);
    return tray;
  } catch (err) {
    // Some Linux desktops have no status area; the app then quits when its window closes.
    log.warn('app: no tray icon', { error: String(err) });
    return undefined;
  }
}

async function start(home: string): Promise<void> {
  const log = openLog(home);
  log.info('app: starting', { version: APP_VERSION, electron: process.versions.electron, home, dev });
  if (process.platform === 'win32') app.setAppUserModelId('com.odoobackupdesk.app');

  await app.whenReady();
  hardenApp(files.location, log);
  protocol.handle(APP_SCHEME, appProtocolHandler({ root: files.rendererDir, csp: cspHeader(), readFile }));

  const vault = new VaultPrompt((notice) => sendToWindow('app:vault-locked', notice));
  const desk = await openDesk(home, log, vault);
  if (!desk) return;
  state.desk = desk;
  const ownWindows = new Set<number>();
  const create = windowFactory(desk, log, ownWindows);
  bindIpc(desk, log, ownWindows, vault);
  const notify = notifier(create);
  startNotifications(desk, notify);
  state.guard = quitGuard(desk, log);
  installMenu(home, log, create);
  state.tray = startTray(desk, log, create);
  state.create = create;
  mainWindow = create();
  startScheduler(desk, log, notify);
  keepEmbeddedRunning(desk);
}

// Same home folder as the CLI (`--home`, `$BACKUP_DESK_HOME`, the OS app-data folder), so
// both see the same storages. Chromium's own data goes inside it, which also makes the
// single-instance lock per home: a second launch on the same home focuses the running
// window and exits; two different homes may run side by side.
const home = resolveHome({ home: homeArg(process.argv) });
app.setPath('userData', join(home, 'electron'));
// Every renderer sandboxed, whatever a window's options say (defence in depth).
app.enableSandbox();
// Must happen before `ready`: app://bundle is a standard, secure origin.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } }]);
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  registerLifecycle();
  start(home).catch((err: unknown) => {
    dialog.showErrorBox(`${PRODUCT_NAME} failed to start`, String(err instanceof Error ? err.stack ?? err.message : err));
    app.exit(1);
  });
}
