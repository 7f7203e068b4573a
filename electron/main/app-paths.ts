/**
 * Where things are at run time, as pure functions: the `--home` argument, the preload and
 * renderer folder next to the bundled main script, and the dev server URL (development only,
 * loopback only).
 */
import { join } from 'node:path';
import { APP_INDEX_URL } from './app-protocol';
import type { AppLocation } from './security';

/** The value of `--home DIR` / `--home=DIR` in argv, if any (the last one wins). */
export function homeArg(argv: readonly string[]): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') break;
    if (a === '--home' && i + 1 < argv.length) found = argv[++i];
    else if (a.startsWith('--home=')) found = a.slice('--home='.length);
  }
  return found && found.trim() !== '' ? found : undefined;
}

/** A dev server URL that may be loaded: http(s) on a loopback host; else undefined. */
export function devServerUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  if (!['localhost', '127.0.0.1', '[::1]'].includes(u.hostname)) return undefined;
  return u.href;
}

/** The run-time files of the app. */
export interface AppFiles {
  /** `dist/electron/preload.cjs`. */
  readonly preloadPath: string;
  /** `dist/renderer`, served as `app://bundle/`. */
  readonly rendererDir: string;
  /** What `security.ts` treats as our pages. */
  readonly location: AppLocation;
}

/**
 * The files next to the bundled main script (`dist/electron/main.js`). The dev server URL
 * (`ELECTRON_RENDERER_URL`) is honoured only when the app is not packaged.
 */
export function appFiles(opts: {
  readonly mainDir: string;
  readonly packaged: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
}): AppFiles {
  const devUrl = opts.packaged ? undefined : devServerUrl(opts.env.ELECTRON_RENDERER_URL);
  return {
    preloadPath: join(opts.mainDir, 'preload.cjs'),
    rendererDir: join(opts.mainDir, '..', 'renderer'),
    location: { appUrl: APP_INDEX_URL, ...(devUrl ? { devUrl } : {}) },
  };
}
