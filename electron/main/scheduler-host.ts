/**
 * The desktop app as the scheduler's host: it starts the core's scheduler with the app, keeps the
 * tray's schedule lines current (next run, last result, overdue jobs), raises a desktop
 * notification when a job becomes overdue or fails for good, runs a job on "Run Now", and stops the
 * scheduler on quit (a running job is cancelled and removes what it half-wrote). Pure over the
 * injected scheduler, tray and notifier, so it is tested without Electron.
 */
import type { Logger } from '../../shared/core/util/logger';
import type { JobNotice } from './notifications';
import { traySchedulesFrom, type TraySchedules, type TrayScheduleState } from './tray';

/** The scheduler as the host uses it (the core's `Scheduler` fits). */
export interface HostedScheduler {
  start(): Promise<void>;
  stop(options?: { abort?: boolean }): Promise<void>;
  status(): Promise<readonly TrayScheduleState[]>;
  on(event: 'run-end' | 'next-run' | 'run-start', listener: () => void): unknown;
  on(event: 'overdue', listener: (e: { name: string; since: string }) => void): unknown;
  on(event: 'alert', listener: (e: { name: string; message: string; failures: number }) => void): unknown;
}

/** What the host drives. */
export interface SchedulerHostDeps {
  readonly scheduler: HostedScheduler;
  /** Updates the tray's schedule lines (absent when the desktop has no tray). */
  setTraySchedules?(schedules: TraySchedules): void;
  notify(notice: JobNotice): void;
  readonly log: Logger;
}

/** The overdue notice: said once per overdue episode (the scheduler emits it once). */
export function overdueNotice(name: string, since: string): JobNotice {
  return { title: `${name} is overdue`, body: `No successful run since ${new Date(since).toLocaleString()}. Open Schedules to see why, or run it now from the tray.` };
}

/** The notice for a job that failed and will not be retried any more. */
export function alertNotice(name: string, message: string, failures: number): JobNotice {
  return { title: `${name} failed${failures > 1 ? ` ${failures} times` : ''}`, body: message.length > 240 ? `${message.slice(0, 239)}…` : message };
}

/** Starts the scheduler and its tray/notification wiring; resolves with a `stop` for quitting. */
export async function hostScheduler(deps: SchedulerHostDeps): Promise<{ stop(): Promise<void>; refresh(): Promise<void> }> {
  const { scheduler, log } = deps;
  const refresh = async (): Promise<void> => {
    if (!deps.setTraySchedules) return;
    try {
      deps.setTraySchedules(traySchedulesFrom(await scheduler.status()));
    } catch (err) {
      log.warn('scheduler: could not read the schedules for the tray', { error: String(err) });
    }
  };
  const later = (): void => void refresh();
  // One notification per overdue episode (a job's `since`), whoever reports it first.
  const told = new Set<string>();
  const overdue = (name: string, since: string): void => {
    if (told.has(`${name}@${since}`)) return;
    told.add(`${name}@${since}`);
    deps.notify(overdueNotice(name, since));
  };
  scheduler.on('run-start', later);
  scheduler.on('run-end', later);
  scheduler.on('next-run', later);
  scheduler.on('overdue', (e) => {
    overdue(e.name, e.since);
    later();
  });
  scheduler.on('alert', (e) => deps.notify(alertNotice(e.name, e.message, e.failures)));
  await scheduler.start();
  await refresh();
  for (const s of await scheduler.status()) if (s.enabled && s.overdueSince) overdue(s.name, s.overdueSince);
  return { stop: () => scheduler.stop({ abort: true }), refresh };
}
