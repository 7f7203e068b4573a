/**
 * Runs the built `backup-desk` CLI as a child process for the accounts tests, capturing
 * stdout/stderr and the argv of the CLI process and of every descendant it starts (polled
 * from /proc while it runs), so tests can prove no secret reaches a command line.
 *
 * The CLI is bundled with esbuild (as scripts/build.mjs does) into a private folder under
 * node_modules/.cache, so a concurrent `npm run build` elsewhere cannot pull it away mid-test.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const ROOT = resolve(__dirname, '../../..');

/** A bundled CLI. */
export interface BuiltCli {
  /** The entry file (run with `node`). */
  readonly main: string;
  dispose(): Promise<void>;
}

/** Bundles shared/cli/main.ts into a private folder. */
export async function buildCli(): Promise<BuiltCli> {
  const dir = join(ROOT, 'node_modules', '.cache', `bd-accounts-cli-${randomUUID()}`);
  await mkdir(dir, { recursive: true });
  const main = join(dir, 'main.js');
  await build({ entryPoints: [join(ROOT, 'shared/cli/main.ts')], outfile: main, bundle: true, platform: 'node', target: 'node20', format: 'esm', packages: 'external', logLevel: 'error' });
  return { main, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** One CLI run. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** argv (NUL-joined → space-joined) of the CLI process and every descendant seen. */
  readonly argvs: string[];
}

/** Options of one run. */
export interface RunOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly stdin?: string;
  /** Called with each stderr chunk (e.g. to pick up the sign-in URL). */
  readonly onStderr?: (text: string) => void;
  readonly timeoutMs?: number;
}

async function procTable(): Promise<Map<number, number>> {
  const parents = new Map<number, number>();
  for (const d of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = await readFile(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(d), ppid);
    } catch {
      /* gone */
    }
  }
  return parents;
}

async function descendants(root: number): Promise<number[]> {
  const parents = await procTable();
  const out = [root];
  for (let changed = true; changed; ) {
    changed = false;
    for (const [pid, ppid] of parents) {
      if (!out.includes(pid) && out.includes(ppid)) {
        out.push(pid);
        changed = true;
      }
    }
  }
  return out;
}

/** Runs `node <cli> args…`, polling /proc for the argv of it and its descendants every few ms. */
export function runCli(cli: BuiltCli, args: readonly string[], opts: RunOptions): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli.main, ...args], { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const argvs = new Set<string>();
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => {
      const t = d.toString('utf8');
      stderr += t;
      opts.onStderr?.(t);
    });
    child.stdin.end(opts.stdin ?? '');
    let running = true;
    const poll = async (): Promise<void> => {
      while (running && child.pid) {
        for (const pid of await descendants(child.pid)) {
          try {
            const cmd = await readFile(`/proc/${pid}/cmdline`);
            if (cmd.length) argvs.add(cmd.toString('utf8').split('\0').join(' ').trim());
          } catch {
            /* exited */
          }
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const polling = poll();
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      running = false;
      void polling.then(() => resolvePromise({ code, stdout, stderr, argvs: [...argvs] }));
    });
  });
}

/** A long-running CLI process (e.g. `serve`). */
export interface RunningCli {
  readonly pid: number;
  /** Resolves with the first stdout line. */
  readonly firstLine: Promise<string>;
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and returns what it wrote and every argv seen. */
  stop(): Promise<CliRun>;
}

/** Starts `node <cli> args…` and keeps polling the argv of it and its descendants until stopped. */
export function startCli(cli: BuiltCli, args: readonly string[], opts: { env: NodeJS.ProcessEnv }): RunningCli {
  const child = spawn(process.execPath, [cli.main, ...args], { env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const argvs = new Set<string>();
  let resolveLine: (l: string) => void = () => undefined;
  const firstLine = new Promise<string>((r) => (resolveLine = r));
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString('utf8');
    const nl = stdout.indexOf('\n');
    if (nl >= 0) resolveLine(stdout.slice(0, nl).trim());
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  let running = true;
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const polling = (async () => {
    while (running && child.pid) {
      for (const pid of await descendants(child.pid)) {
        try {
          const cmd = await readFile(`/proc/${pid}/cmdline`);
          if (cmd.length) argvs.add(cmd.toString('utf8').split('\0').join(' ').trim());
        } catch {
          /* exited */
        }
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    pid: child.pid as number,
    firstLine,
    stop: async () => {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(t);
      running = false;
      await polling;
      return { code, stdout, stderr, argvs: [...argvs] };
    },
  };
}

/**
 * A PATH shim: for each tool found on PATH, a wrapper script that appends its argv to
 * `log` and then runs the real binary. Put `dir` first on the child's PATH; catches even
 * processes too short-lived for /proc polling (when started through PATH).
 */
export async function makeArgvShims(dir: string, log: string, tools: readonly string[], path = process.env.PATH ?? ''): Promise<string[]> {
  const { access, writeFile, constants } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
  const made: string[] = [];
  for (const tool of tools) {
    let real: string | undefined;
    for (const d of path.split(':')) {
      try {
        await access(join(d, tool), constants.X_OK);
        real = join(d, tool);
        break;
      } catch {
        /* next */
      }
    }
    if (!real) continue;
    const q = (v: string): string => `'${v.replace(/'/g, `'\\''`)}'`;
    await writeFile(join(dir, tool), `#!/bin/sh\nprintf '%s ' ${q(real)} "$@" >> ${q(log)}\nprintf '\\n' >> ${q(log)}\nexec ${q(real)} "$@"\n`, { mode: 0o755 });
    made.push(tool);
  }
  return made;
}

/** Every file below `dir` (recursively), as [path, bytes]. */
export async function readTree(dir: string): Promise<Array<[string, Buffer]>> {
  const out: Array<[string, Buffer]> = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push([p, await readFile(p)]);
    }
  };
  await walk(dir);
  return out;
}
