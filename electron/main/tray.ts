/**
 * The tray icon: a status line (what is running), the schedules (next run, last result,
 * overdue jobs, "Run Now"), "Open" and "Quit". The app lives on here with its window closed,
 * so the scheduler keeps working. The status and menu
 * are pure (tested); `createTray` takes Electron's `Tray`/`Menu` as arguments.
 */
import type { Menu as MenuT, MenuItemConstructorOptions, NativeImage, Tray as TrayT } from 'electron';
import { failedDrill, type FollowUpDrill } from '../../shared/contract/schedules';
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
  /** Runs a scheduled job now (by name). */
  runNow?(name: string): void;
}

/** The schedules as the tray shows them. */
export interface TraySchedules {
  /** Scheduled job names, for "Run Now". */
  readonly jobs: readonly string[];
  /** The next scheduled run. */
  readonly next?: { readonly name: string; readonly at: string };
  /** The last run that ended. */
  readonly last?: { readonly name: string; readonly outcome: string; readonly endedAt: string };
  /** Jobs whose last success is older than their interval allows. */
  readonly overdue: readonly string[];
}

function when(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit', month: 'short', day: 'numeric' });
}

/** The schedule lines of the tray menu (empty without scheduled jobs). */
export function scheduleMenuItems(schedules: TraySchedules | undefined, actions: TrayActions): MenuItemConstructorOptions[] {
  if (!schedules || schedules.jobs.length === 0) return [];
  const items: MenuItemConstructorOptions[] = [{ type: 'separator' }];
  if (schedules.overdue.length) items.push({ label: `⚠ Overdue: ${schedules.overdue.join(', ')}`, enabled: false });
  items.push({ label: schedules.next ? `Next: ${schedules.next.name}, ${when(schedules.next.at)}` : 'Next: nothing scheduled', enabled: false });
  if (schedules.last) items.push({ label: `Last: ${schedules.last.name} ${schedules.last.outcome}, ${when(schedules.last.endedAt)}`, enabled: false });
  if (actions.runNow) {
    const run = actions.runNow;
    items.push({ label: 'Run Now', submenu: schedules.jobs.map((name) => ({ label: name, click: () => run(name) })) });
  }
  return items;
}

/** The tray's context menu. */
export function trayMenuTemplate(status: string, actions: TrayActions, schedules?: TraySchedules): MenuItemConstructorOptions[] {
  return [
    { label: status, enabled: false },
    ...scheduleMenuItems(schedules, actions),
    { type: 'separator' },
    { label: 'Open', click: () => actions.showWindow() },
    { label: 'Quit', click: () => actions.quit() },
  ];
}

/** A live tray: `update` refreshes the job status, `setSchedules` the schedule lines; `destroy` removes the icon. */
export interface TrayHandle {
  update(jobs: readonly JobSnapshot[]): void;
  setSchedules(schedules: TraySchedules | undefined): void;
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
  let jobs: readonly JobSnapshot[] = [];
  let schedules: TraySchedules | undefined;
  let last = '';
  const render = (): void => {
    const status = trayStatus(jobs, deps.appName);
    const overdue = schedules?.overdue.length ? ` — overdue: ${schedules.overdue.join(', ')}` : '';
    const template = trayMenuTemplate(status, deps.actions, schedules);
    const key = JSON.stringify([status, overdue, template.map((i) => i.label)]);
    if (key === last) return;
    last = key;
    tray.setToolTip(`${status}${overdue}`);
    tray.setContextMenu(deps.Menu.buildFromTemplate(template));
  };
  render();
  tray.on('click', () => deps.actions.showWindow());
  return {
    update: (j) => {
      jobs = j;
      render();
    },
    setSchedules: (s) => {
      schedules = s;
      render();
    },
    destroy: () => tray.destroy(),
  };
}

/** A scheduled job's state, as far as the tray needs it (the contract's `ScheduleStatus` fits). */
export interface TrayScheduleState {
  readonly name: string;
  readonly enabled: boolean;
  readonly nextRunAt: string | null;
  readonly lastRunAt: string | null;
  readonly lastOutcome: string | null;
  readonly overdueSince: string | null;
  /** A backup job with automatic drills: its latest drill. */
  readonly lastDrill?: FollowUpDrill | undefined;
}

/** The tray's schedule lines from the jobs' states: the soonest next run and the latest ended run. */
export function traySchedulesFrom(states: readonly TrayScheduleState[]): TraySchedules {
  const enabled = states.filter((s) => s.enabled);
  const next = enabled
    .filter((s): s is TrayScheduleState & { nextRunAt: string } => s.nextRunAt !== null)
    .sort((a, b) => Date.parse(a.nextRunAt) - Date.parse(b.nextRunAt))[0];
  const last = states
    .filter((s): s is TrayScheduleState & { lastRunAt: string; lastOutcome: string } => s.lastRunAt !== null && s.lastOutcome !== null)
    .sort((a, b) => Date.parse(b.lastRunAt) - Date.parse(a.lastRunAt))[0];
  return {
    jobs: states.map((s) => s.name),
    ...(next ? { next: { name: next.name, at: next.nextRunAt } } : {}),
    // A backup that went fine and whose drill failed is said as both.
    ...(last ? { last: { name: last.name, outcome: `${last.lastOutcome}${last.lastOutcome === 'ok' && failedDrill(last) ? ', drill failed' : ''}`, endedAt: last.lastRunAt } } : {}),
    overdue: enabled.filter((s) => s.overdueSince !== null).map((s) => s.name),
  };
}
