/** The run history (backups, restores, rotations, drills) kept in the home folder. */
export { cancelOpenRunsNow, RunHistory, RunRecorder, runErrorOf, trackRun, type RunEnd, type RunStart, type TrackOptions } from './history';
export { HISTORY_FILE, historyPath } from './run-log';
export type { Run, RunError, RunFilter, RunKind, RunOutcome } from '../../contract/history';
