/**
 * The UI's one door to the core. In Electron the preload exposes a `DeskClient` as `window.api`;
 * in a browser (the `serve` build) the same interface is implemented over HTTP + server-sent
 * events. This is the only file that names `window.api`.
 */
import { API_METHOD_NAMES, type ApiError, type ApiEvents, type DeskApi } from '../../shared/contract/api';
import type { ApiEventName, DeskClient, PickedPath } from '../../shared/contract/client';

export type { DeskClient } from '../../shared/contract/client';

declare global {
  interface Window {
    /** Set by the Electron preload through contextBridge. */
    api?: DeskClient;
  }
}

/** An error as the UI shows it: what happened, and what to do. */
export class ClientError extends Error {
  /** The contract's error kind. */
  readonly kind: ApiError['kind'];
  /** What to do about it. */
  readonly hint: string | undefined;
  /** Extra facts. */
  readonly details: Record<string, unknown> | undefined;
  constructor(e: ApiError) {
    super(e.message);
    this.name = 'ClientError';
    this.kind = e.kind;
    this.hint = e.hint;
    this.details = e.details;
  }
}

/** Normalizes anything a call may reject with (ApiError object, Error, JSON-in-message) to an ApiError. */
export function toApiError(err: unknown): ApiError {
  if (err && typeof err === 'object' && 'kind' in err && 'message' in err && typeof (err as ApiError).message === 'string') {
    const e = err as ApiError;
    return { kind: e.kind, message: e.message, ...(e.hint ? { hint: e.hint } : {}), ...(e.details ? { details: e.details } : {}) };
  }
  if (err instanceof Error) {
    // Electron's ipcRenderer.invoke wraps errors: "Error invoking remote method 'x': Error: {json}".
    const json = /(\{.*"kind".*\})\s*$/s.exec(err.message)?.[1];
    if (json) {
      try {
        return toApiError(JSON.parse(json));
      } catch {
        /* fall through */
      }
    }
    if (err.name === 'AbortError') return { kind: 'Cancelled', message: 'Cancelled.' };
    if (err instanceof TypeError && /fetch|network/i.test(err.message)) {
      return { kind: 'Transient', message: 'The app cannot reach its server.', hint: 'Check that `backup-desk serve` is still running, then reload.' };
    }
    return { kind: 'Fatal', message: err.message };
  }
  return { kind: 'Fatal', message: String(err) };
}

const TOKEN_KEY = 'backup-desk-token';

/** Reads the token from `#token=…` (then removes it from the address bar), else sessionStorage. */
export function takeToken(loc: Location = window.location, store: Storage = window.sessionStorage): string | undefined {
  const m = /(?:^#|&)token=([^&]+)/.exec(loc.hash);
  if (m?.[1]) {
    const token = decodeURIComponent(m[1]);
    store.setItem(TOKEN_KEY, token);
    window.history.replaceState(null, '', loc.pathname + loc.search);
    return token;
  }
  return store.getItem(TOKEN_KEY) ?? undefined;
}

/** A `DeskClient` over `serve`'s HTTP API (`POST /api/<method>`, SSE at `/api/events`). */
export function createHttpClient(base: string, token: string | undefined, fetchImpl: typeof fetch = (...a) => window.fetch(...a)): DeskClient {
  const auth = (): Record<string, string> => (token ? { Authorization: `Bearer ${token}` } : {});
  const listeners = new Map<ApiEventName, Set<(p: never) => void>>();
  let source: EventSource | undefined;

  const ensureSource = (): void => {
    if (source || typeof EventSource === 'undefined') return;
    source = new EventSource(`${base}api/events${token ? `?token=${encodeURIComponent(token)}` : ''}`);
    for (const name of ['job:update', 'job:done'] as const) {
      source.addEventListener(name, (ev) => {
        const payload = JSON.parse((ev as MessageEvent<string>).data) as ApiEvents[typeof name];
        for (const cb of listeners.get(name) ?? []) (cb as (p: typeof payload) => void)(payload);
      });
    }
  };

  const call = async (method: string, args: unknown): Promise<unknown> => {
    const res = await fetchImpl(`${base}api/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...auth() },
      body: JSON.stringify(args ?? {}),
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      if (res.status === 401) {
        throw new ClientError({ kind: 'AuthFailed', message: 'This page is not signed in to the server.', hint: 'Open the full URL that `backup-desk serve` printed (it ends with #token=…).' });
      }
      throw new ClientError(toApiError(body ?? new Error(`${res.status} ${res.statusText}`)));
    }
    return body;
  };

  const methods = Object.fromEntries(API_METHOD_NAMES.map((m) => [m, (args: unknown) => call(m, args)])) as unknown as DeskApi;

  return {
    ...methods,
    host: 'browser',
    on(event, cb) {
      ensureSource();
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(cb as (p: never) => void);
      return () => {
        set.delete(cb as (p: never) => void);
      };
    },
    async uploadFile(file, onProgress): Promise<PickedPath> {
      // fetch has no upload progress; XMLHttpRequest does, and streams the Blob from disk.
      return new Promise<PickedPath>((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open('POST', `${base}api/upload?name=${encodeURIComponent(file.name)}`);
        for (const [k, v] of Object.entries(auth())) xhr.setRequestHeader(k, v);
        xhr.upload.onprogress = (e) => onProgress?.(e.loaded);
        xhr.onerror = () => reject(new ClientError({ kind: 'Transient', message: 'The upload failed.', hint: 'Check the connection to the server and drop the file again.' }));
        xhr.onload = () => {
          let body: unknown;
          try {
            body = JSON.parse(xhr.responseText);
          } catch {
            body = undefined;
          }
          if (xhr.status >= 200 && xhr.status < 300) resolve({ path: (body as PickedPath).path });
          else reject(new ClientError(toApiError(body ?? new Error(`Upload failed (${xhr.status}).`))));
        };
        xhr.send(file as unknown as Blob);
      });
    },
  };
}

/** A token pasted by hand: the whole `…#token=…` URL or just the token; undefined when neither. */
export function tokenFromPaste(text: string): string | undefined {
  const t = text.trim();
  const m = /#(?:.*&)?token=([^&\s]+)/.exec(t);
  if (m?.[1]) return decodeURIComponent(m[1]);
  return /^[A-Za-z0-9_-]{20,}$/.test(t) ? t : undefined;
}

/** Keeps a token for this tab (sessionStorage), as `takeToken` does for one in the address bar. */
export function keepToken(token: string, store: Storage = window.sessionStorage): void {
  store.setItem(TOKEN_KEY, token);
}

/** The client when this window can reach the core: Electron, or a browser page that has its token; else undefined (sign in first). */
export function signedInClient(): DeskClient | undefined {
  if (window.api) return getClient();
  if (client) return client;
  const token = takeToken();
  if (!token) return undefined;
  client = createHttpClient(new URL('./', window.location.href).toString(), token);
  return client;
}

let client: DeskClient | undefined;

/** The client for this window: Electron's `window.api`, else HTTP to the page's own server. */
export function getClient(): DeskClient {
  if (client) return client;
  if (window.api) {
    client = window.api;
  } else {
    const base = new URL('./', window.location.href).toString();
    client = createHttpClient(base, takeToken());
  }
  return client;
}
