/**
 * Desktop notifications when a job ends while the app is in the background: "Restore
 * finished" / "Download failed: <why>". Cancelled jobs are not announced (the person did it).
 * Pure over an injected `show`, so it is tested without Electron.
 */
import type { JobSnapshot } from '../../shared/core/jobs/job';
import type { JobEventSource } from './ipc/register';

/** What a notification says. */
export interface JobNotice {
  readonly title: string;
  readonly body: string;
}

const MAX_BODY = 240;

function clip(s: string): string {
  return s.length <= MAX_BODY ? s : `${s.slice(0, MAX_BODY - 1)}…`;
}

/** The notice for a finished job, or undefined when none is due (running or cancelled). */
export function jobNotice(snap: JobSnapshot): JobNotice | undefined {
  switch (snap.state) {
    case 'succeeded':
      return { title: `${snap.title}: done`, body: clip(snap.progress?.message ?? 'Finished successfully.') };
    case 'failed': {
      const e = snap.error;
      const body = e ? [e.message, e.hint].filter(Boolean).join(' ') : 'It failed; open Activity for details.';
      return { title: `${snap.title}: failed`, body: clip(body) };
    }
    default:
      return undefined;
  }
}

/** Dependencies of `notifyJobEnds`. */
export interface NotifyDeps {
  /** True when one of our windows has the focus (then the UI shows it already). */
  isAppFocused(): boolean;
  /** Shows a notice; `jobId` lets a click open that job. */
  show(notice: JobNotice, jobId: string): void;
}

/** Shows a notice on every job end while the app is not focused; returns an unsubscribe. */
export function notifyJobEnds(jobs: JobEventSource, deps: NotifyDeps): () => void {
  const onDone = (snap: JobSnapshot): void => {
    if (deps.isAppFocused()) return;
    const notice = jobNotice(snap);
    if (notice) deps.show(notice, snap.id);
  };
  jobs.on('done', onDone);
  return () => {
    jobs.off('done', onDone);
  };
}

/** The part of a desktop notification the keeper needs (Electron's `Notification` fits). */
export interface KeepableNotification {
  on(event: 'close' | 'click' | 'failed', listener: () => void): unknown;
  show(): void;
}

/**
 * Keeps every shown notification referenced until it is closed, clicked or failed: an
 * unreferenced Electron `Notification` can be garbage-collected while still on screen, and
 * its click handler then never runs.
 */
export class NotificationKeeper {
  private readonly live = new Set<KeepableNotification>();

  /** How many notifications are held right now. */
  get size(): number {
    return this.live.size;
  }

  /** Holds `n` until it ends, then shows it. */
  show(n: KeepableNotification): void {
    this.live.add(n);
    const release = (): void => {
      this.live.delete(n);
    };
    n.on('close', release);
    n.on('click', release);
    n.on('failed', release);
    n.show();
  }
}
