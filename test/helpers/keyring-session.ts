/**
 * A real freedesktop Secret Service for tests: a private D-Bus session bus
 * (`dbus-daemon --session --nofork`) with `gnome-keyring-daemon --unlock --components=secrets`
 * on it, a temporary HOME/XDG_* so nothing touches the user's keyring, torn down by `stop()`.
 *
 * libdbus caches the session bus address the first time a process connects (and caches a
 * failure too), so one process can use one session only: `applyToProcess` is for a test
 * file that owns its process (vitest forks); tests that need "no bus" or a second bus run
 * a child process with `env`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A running session bus with an unlocked gnome-keyring. */
export interface KeyringSession {
  /** `unix:path=…` of the private session bus. */
  readonly address: string;
  /** The temporary HOME of the keyring (its files live below). */
  readonly home: string;
  /** Environment variables for child processes that should use this keyring. */
  readonly env: Record<string, string>;
  /** Stops the keyring and the bus, restores `process.env` if applied, removes the temp HOME. */
  stop(): Promise<void>;
}

/** True when dbus-daemon, dbus-send and gnome-keyring-daemon are installed (Debian: dbus, gnome-keyring). */
export async function keyringAvailable(): Promise<boolean> {
  try {
    await run('which', ['dbus-daemon', 'dbus-send', 'gnome-keyring-daemon']);
    return true;
  } catch {
    return false;
  }
}

function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('dbus-daemon did not print its address')), timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(buf.slice(0, nl).trim());
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dbus-daemon exited (${code})`));
    });
  });
}

async function waitForName(env: NodeJS.ProcessEnv, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { stdout } = await run(
        'dbus-send',
        ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', `string:${name}`],
        { env },
      );
      if (/boolean true/.test(stdout)) return;
    } catch {
      /* bus not ready yet */
    }
    if (Date.now() > deadline) throw new Error(`${name} did not appear on the session bus`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
    }, 2000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Options of `startKeyringSession`. */
export interface KeyringSessionOptions {
  /** Set DBUS_SESSION_BUS_ADDRESS, HOME and XDG_* in this process (restored by `stop`). */
  readonly applyToProcess?: boolean;
}

/** Starts a private session bus and an unlocked gnome-keyring on it. */
export async function startKeyringSession(opts: KeyringSessionOptions = {}): Promise<KeyringSession> {
  const home = await mkdtemp(join(tmpdir(), 'bd-keyring-'));
  const runtime = join(home, 'run');
  await mkdir(runtime, { mode: 0o700 });
  const dbus = spawn('dbus-daemon', ['--session', '--nofork', '--nopidfile', '--print-address=1'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let keyring: ChildProcess | undefined;
  const saved: Record<string, string | undefined> = {};
  try {
    const address = await firstLine(dbus, 10_000);
    const env: Record<string, string> = {
      DBUS_SESSION_BUS_ADDRESS: address,
      HOME: home,
      XDG_RUNTIME_DIR: runtime,
      XDG_DATA_HOME: join(home, '.local', 'share'),
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_CACHE_HOME: join(home, '.cache'),
    };
    const childEnv = { ...process.env, ...env };
    keyring = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], { env: childEnv, stdio: ['pipe', 'ignore', 'ignore'] });
    keyring.stdin?.end('test-keyring-password');
    await waitForName(childEnv, 'org.freedesktop.secrets', 10_000);
    if (opts.applyToProcess) {
      for (const [k, v] of Object.entries(env)) {
        saved[k] = process.env[k];
        process.env[k] = v;
      }
    }
    const kr = keyring;
    return {
      address,
      home,
      env,
      stop: async () => {
        for (const [k, v] of Object.entries(saved)) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
        await stopChild(kr);
        await stopChild(dbus);
        await rm(home, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (keyring) await stopChild(keyring);
    await stopChild(dbus);
    await rm(home, { recursive: true, force: true });
    throw err;
  }
}
