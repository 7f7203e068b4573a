/** Schedules: systemd calendar events and cron expressions behind one `Schedule` interface. */
export { parseSchedule, nextRuns } from './schedule';
export type { Schedule, ScheduleKind, ParseScheduleOptions } from './schedule';
export { parseCalendarSpec, formatCalendarSpec } from './calendar-spec';
export type { CalendarSpec, CalendarChain, CalendarComponent } from './calendar-spec';
export { nextCalendarElapse } from './calendar-next';
export { isValidZone, assertZone, localZone, formatInZone } from './zone-time';
