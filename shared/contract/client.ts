/**
 * The transport-neutral client the React UI talks to. The Electron preload exposes an object of
 * this shape as `window.api` (over IPC); the browser build implements it over HTTP + SSE against
 * `backup-desk serve`. Pure types: no Node, no DOM.
 */
import type { ApiEvents, DeskApi } from './api';

/** An event name pushed from the core (`job:update`, `job:done`). */
export type ApiEventName = keyof ApiEvents;

/** Unsubscribes a listener registered with `DeskClient.on`. */
export type Unsubscribe = () => void;

/** A file the user picked or dropped, as the host can hand it to the core. */
export interface PickedPath {
  /** Absolute path on the machine the core runs on. */
  readonly path: string;
}

/**
 * Extras only some hosts provide (Electron: native dialogs and dropped-file paths). The UI
 * feature-detects each one (`if (api.pickFolder) …`) and degrades gracefully without it.
 */
export interface HostExtras {
  /** Native "open file" dialog; resolves undefined when the user cancels. */
  pickFile?(opts?: { title?: string; filters?: ReadonlyArray<{ name: string; extensions: string[] }> }): Promise<string | undefined>;
  /** Native "choose folder" dialog; resolves undefined when the user cancels. */
  pickFolder?(opts?: { title?: string; defaultPath?: string }): Promise<string | undefined>;
  /** Native "save as" dialog; resolves undefined when the user cancels. */
  pickSaveFile?(opts?: { title?: string; defaultPath?: string }): Promise<string | undefined>;
  /** The local path of a dropped DOM `File` (Electron's `webUtils.getPathForFile`). */
  getPathForFile?(file: unknown): string;
  /** Opens a local folder in the OS file manager. */
  showInFolder?(path: string): Promise<void>;
  /** Electron's File > "Open backup…" menu: called with the chosen file's path; returns the unsubscribe. */
  onOpenBackup?(cb: (path: string) => void): Unsubscribe;
  /** The desktop core asks for the secrets vault's passphrase (`retry`: the last one was wrong). */
  onVaultLocked?(cb: (request: { readonly requestId: string; readonly retry: boolean }) => void): Unsubscribe;
  /** Answers a vault request: the passphrase, or undefined to keep the vault locked. */
  unlockVault?(requestId: string, passphrase: string | undefined): Promise<void>;
}

/**
 * Upload of a dropped file to the core's `<home>/incoming/` (browser build only, where the page
 * has no file paths). Resolves with the path the core can inspect/restore.
 */
export interface UploadCapability {
  uploadFile?(file: { readonly name: string; readonly size: number }, onProgress?: (sent: number) => void): Promise<PickedPath>;
}

/** What the UI receives: every API method, event subscription, and optional host extras. */
export type DeskClient = DeskApi &
  HostExtras &
  UploadCapability & {
    /** Subscribes to a core event; returns the unsubscribe function. */
    on<E extends ApiEventName>(event: E, cb: (payload: ApiEvents[E]) => void): Unsubscribe;
    /** Which host this is: `electron` or `browser`. */
    readonly host: 'electron' | 'browser';
  };

/** The event names, for allowlists at the boundaries (preload, SSE). */
export const API_EVENT_NAMES: readonly ApiEventName[] = ['job:update', 'job:done'];
