/** The scheduler: scheduled jobs in the home folder, run on time, once, with retries and overdue notices. */
export { Scheduler, drillAfter, type JobRunner, type RunSummary, type RunEndEvent, type SchedulerEvents, type SchedulerOptions } from './scheduler';
export { JobStore, type JobState } from './job-store';
export { HomeLocks, type HeldLock, type LockOwner } from './home-lock';
export { systemClock, type Clock, type TimerHandle } from './clock';
export { DEFAULT_RETRY_DELAYS_MS, overdueSince, scheduleOf, type Trigger } from './timing';
