/**
 * The app's life-cycle rules as pure functions: whether closing the last window quits, and
 * whether closing a window should first ask. The app lives on in the tray (the scheduler runs
 * there) and quits only from the tray or the menu; without a tray it behaves like a plain app.
 */

/** What the window-closing rules need to know. */
export interface LifecycleFacts {
  readonly platform: NodeJS.Platform;
  /** A tray icon exists, so the app stays reachable with no window. */
  readonly hasTray: boolean;
}

/** `window-all-closed`: true when the app should quit now. */
export function quitWhenAllWindowsClosed(facts: LifecycleFacts): boolean {
  if (facts.platform === 'darwin') return false;
  return !facts.hasTray;
}

/**
 * A window's `close`: true when closing it would quit the app while jobs run, so the quit
 * prompt (cancel jobs?) must come first. With a tray (or on macOS) jobs keep running.
 */
export function closeMustAskFirst(facts: LifecycleFacts & { readonly jobsRunning: boolean; readonly quitting: boolean }): boolean {
  if (facts.quitting || !facts.jobsRunning) return false;
  return quitWhenAllWindowsClosed(facts);
}
