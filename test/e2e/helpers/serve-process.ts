/**
 * Runs the built CLI's `serve` as a child process for end-to-end tests and reads the URL
 * (token included) from its stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** A running `backup-desk serve`. */
export interface ServeProcess {
  readonly url: string;
  readonly origin: string;
  readonly token: string;
  readonly child: ChildProcess;
  /** Everything written to stderr so far (for failure messages). */
  stderr(): string;
  stop(): Promise<void>;
}

const root = join(import.meta.dirname, '..', '..', '..');

/** Starts `node bin/backup-desk.js --home HOME serve --port 0` and waits for its URL. */
export async function startServe(home: string, env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [join(root, 'bin', 'backup-desk.js'), '--home', home, 'serve', '--port', '0'], {
    cwd: root,
    env: { ...process.env, BACKUP_DESK_HOME: home, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no URL within 30 s; stderr:\n${err}`)), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^(http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}) before printing its URL; stderr:\n${err}`));
    });
  });
  const origin = url.slice(0, url.indexOf('/#'));
  return {
    url,
    origin,
    token: url.slice(url.indexOf('token=') + 6),
    child,
    stderr: () => err,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGINT');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}
