/**
 * The tray icon: a status line (what is running), "Show window" and "Quit". It is there
 * for the scheduler, which will keep working with the window closed. The status and menu
 * are pure (tested); `createTray` takes Electron's `Tray`/`Menu` as arguments.
 */
import type { Menu as MenuT, MenuItemConstructorOptions, NativeImage, Tray as TrayT } from 'electron';
import type { JobSnapshot } from '../../shared/core/jobs/job';

/** The one-line status shown in the tray's tooltip and menu. */
export function trayStatus(jobs: readonly JobSnapshot[], appName: string): string {
  const running = jobs.filter((j) => j.state === 'running');
  if (running.length === 0) return `${appName}: idle`;
  if (running.length === 1) {
    const j = running[0] as JobSnapshot;
    const p = j.progress;
    const pct = p?.total && p.done !== undefined ? ` ${Math.min(100, Math.floor((p.done / p.total) * 100))}%` : '';
    return `${appName}: ${j.title}${pct}`;
  }
  return `${appName}: ${running.length} jobs running`;
}

/** What the tray's items do. */
export interface TrayActions {
  showWindow(): void;
  quit(): void;
}

/** The tray's context menu. */
export function trayMenuTemplate(status: string, actions: TrayActions): MenuItemConstructorOptions[] {
  return [
    { label: status, enabled: false },
    { type: 'separator' },
    { label: 'Show Window', click: () => actions.showWindow() },
    { label: 'Quit', click: () => actions.quit() },
  ];
}

/** A live tray: `update` refreshes the status; `destroy` removes the icon. */
export interface TrayHandle {
  update(jobs: readonly JobSnapshot[]): void;
  destroy(): void;
}

/** Creates the tray icon (Electron's classes passed in, so this module loads without Electron). */
export function createTray(deps: {
  readonly Tray: typeof TrayT;
  readonly Menu: typeof MenuT;
  readonly icon: NativeImage;
  readonly appName: string;
  readonly actions: TrayActions;
}): TrayHandle {
  const tray = new deps.Tray(deps.icon);
  let last = '';
  const render = (jobs: readonly JobSnapshot[]): void => {
    const status = trayStatus(jobs, deps.appName);
    if (status === last) return;
    last = status;
    tray.setToolTip(status);
    tray.setContextMenu(deps.Menu.buildFromTemplate(trayMenuTemplate(status, deps.actions)));
  };
  render([]);
  tray.on('click', () => deps.actions.showWindow());
  return { update: render, destroy: () => tray.destroy() };
}
