// Runs the bundled main process (argv[2]) against the stand-in electron module
// (fake-electron.mjs, mapped in by a resolve hook) and reports, as one JSON line, what it set
// up: IPC channels, window options, the app:// protocol, answers to IPC calls, the quit path.
const rec = () => globalThis.__electron;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const [mainPath] = process.argv.slice(2);

const { pathToFileURL } = await import('node:url');
await import(pathToFileURL(mainPath).href);
for (let i = 0; i < 400 && rec().windows.length === 0 && rec().errors.length === 0; i++) await sleep(25);
const r = rec();
const out = { errors: r.errors, log: r.log };
if (r.windows.length > 0) {
  const win = r.windows[0];
  out.channels = [...r.ipc.keys()].sort();
  out.webPreferences = win.opts.webPreferences;
  out.loaded = win.loaded;
  out.privileged = r.privileged;
  out.appEvents = Object.keys(r.appHandlers).sort();
  out.registeredBeforeReady = r.appOn.filter(([, ready]) => !ready).map(([e]) => e).sort();
  out.menu = (r.menu ?? []).map((m) => m.label ?? m.role);

  const page = { sender: { id: win.webContents.id }, senderFrame: { url: 'app://bundle/index.html#/backups', parent: null } };
  const stranger = { sender: { id: win.webContents.id }, senderFrame: { url: 'https://evil.example/', parent: null } };
  // A vault-only home: the first secret the core needs asks the window for the passphrase
  // (done first: until it is answered, every call that needs a secret waits for it).
  if (process.env.DRIVE_VAULT_PASSPHRASE) {
    const before = r.sent.length;
    const add = r.ipc.get('storages:add')(page, { name: 'vaulted', kind: 's3', settings: { bucket: 'odoo-backups', region: 'us-east-1', accessKeyId: 'AKIA' }, secrets: { secretAccessKey: 'sk' } });
    for (let i = 0; i < 3000 && !r.sent.slice(before).some(([ch]) => ch === 'app:vault-locked'); i++) await sleep(10);
    const asked = r.sent.slice(before).filter(([ch]) => ch === 'app:vault-locked').map(([, p]) => p);
    const wrong = await r.ipc.get('host:unlock-vault')(page, { requestId: 'stale', passphrase: 'x' });
    const answered = await r.ipc.get('host:unlock-vault')(page, { requestId: asked[0]?.requestId, passphrase: process.env.DRIVE_VAULT_PASSPHRASE });
    out.vault = { asked, wrong, answered, add: await add };
  }

  out.appInfo = await r.ipc.get('app:info')(page, {});
  out.stranger = await r.ipc.get('storages:list')(stranger, {});
  out.badArgs = await r.ipc.get('storages:add')(page, { name: 'no spaces allowed', kind: 'local', settings: {} });

  const handler = r.protocols.get('app');
  const res = await handler(new Request('app://bundle/index.html'));
  out.protocol = { status: res.status, csp: res.headers.get('content-security-policy'), body: await res.text() };
  out.escape = (await handler(new Request('app://bundle/..%2f..%2fpackage.json'))).status;

  const headers = await new Promise((resolve) => r.headersListener({ responseHeaders: { 'X-A': ['1'] } }, (v) => resolve(v)));
  out.headers = headers;
  out.permission = await new Promise((resolve) => r.permissionRequest(null, 'media', resolve, { requestingUrl: 'app://bundle/' }));
  out.permissionCheck = r.permissionCheck(null, 'clipboard-read', 'app://bundle');

  // Every web contents gets the navigation/new-window lock-down.
  const handlers = {};
  let openHandler;
  const contents = { on: (ev, cb) => ((handlers[ev] ??= []).push(cb)), setWindowOpenHandler: (fn) => (openHandler = fn) };
  for (const h of r.appHandlers['web-contents-created'] ?? []) h({}, contents);
  const emit = (ev, url, isMainFrame) => {
    let prevented = false;
    for (const h of handlers[ev] ?? []) h({ url, isMainFrame, preventDefault: () => (prevented = true) });
    return prevented;
  };
  // Electron's order: will-frame-navigate first (every frame); will-navigate only for the main
  // frame and only when will-frame-navigate did not prevent the navigation.
  const navigate = (url, isMainFrame = true) => {
    if (emit('will-frame-navigate', url, isMainFrame)) return true;
    return isMainFrame ? emit('will-navigate', url, true) : false;
  };
  const mark = r.log.length;
  out.navigation = {
    own: navigate('app://bundle/index.html#/x'),
    web: navigate('https://www.odoo.com/'),
    file: navigate('file:///etc/passwd'),
    subframeWeb: navigate('https://tracker.example/', false),
    redirect: emit('will-redirect', 'https://evil.example/', true),
    webview: emit('will-attach-webview', 'app://bundle/', true),
    openWeb: openHandler({ url: 'https://www.odoo.com/page' }),
    openFile: openHandler({ url: 'file:///etc/passwd' }),
  };
  await sleep(10);
  out.navigationLog = r.log.slice(mark).filter((l) => l.startsWith('openExternal'));

  // Closing the last window keeps the app in the tray (no quit).
  const quitsBefore = r.quitCalls;
  for (const h of r.appHandlers['window-all-closed'] ?? []) h({ preventDefault: () => undefined });
  out.allClosedQuits = r.quitCalls - quitsBefore;

  // The private PostgreSQL of a home that uses it runs while the app is open (its postmaster.pid).
  const { existsSync } = await import('node:fs');
  const pidFile = process.env.DRIVE_EMBEDDED_PID_FILE;
  if (pidFile) {
    for (let i = 0; i < 3000 && !existsSync(pidFile); i++) await sleep(10);
    out.embedded = { whileOpen: existsSync(pidFile) };
  }

  // Quit with nothing running: the first before-quit is held while the core shuts down,
  // then the app quits again and that one goes through.
  const prevented = [];
  for (const h of r.appHandlers['before-quit'] ?? []) h({ preventDefault: () => prevented.push(1) });
  for (let i = 0; i < 1500 && r.quitCalls === 0; i++) await sleep(10);
  if (pidFile) out.embedded.afterQuit = existsSync(pidFile);
  const second = [];
  for (const h of r.appHandlers['before-quit'] ?? []) h({ preventDefault: () => second.push(1) });
  out.quit = { firstPrevented: prevented.length, quitCalls: r.quitCalls, secondPrevented: second.length };
}
process.stdout.write(JSON.stringify(out) + '\n');
process.exit(0);
