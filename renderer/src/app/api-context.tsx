/** React access to the client, and live job state built from `jobs:list` plus job events. */
import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import type { JobSnapshotDto } from '../../../shared/contract/api';
import type { DeskClient } from '../api';

const ApiContext = createContext<DeskClient | undefined>(undefined);

/** Provides the client to the tree (tests pass a fake implementing the contract type). */
export function ApiProvider({ client, children }: { client: DeskClient; children: ReactNode }) {
  return <ApiContext.Provider value={client}>{children}</ApiContext.Provider>;
}

/** The client. */
export function useApi(): DeskClient {
  const c = useContext(ApiContext);
  if (!c) throw new Error('useApi outside ApiProvider');
  return c;
}

/** Every job, newest first, kept current by `job:update`/`job:done`. */
export function useJobs(): { jobs: JobSnapshotDto[]; refresh: () => void } {
  const api = useApi();
  const [jobs, setJobs] = useState<JobSnapshotDto[]>([]);
  const refresh = useCallback(() => {
    api['jobs:list']({}).then(setJobs, () => undefined);
  }, [api]);
  useEffect(() => {
    refresh();
    const upsert = (snap: JobSnapshotDto): void =>
      setJobs((prev) => {
        const i = prev.findIndex((j) => j.id === snap.id);
        if (i < 0) return [snap, ...prev];
        const next = prev.slice();
        next[i] = snap;
        return next;
      });
    const a = api.on('job:update', upsert);
    const b = api.on('job:done', upsert);
    return () => {
      a();
      b();
    };
  }, [api, refresh]);
  return { jobs, refresh };
}

/** A transfer rate and time left, from successive progress samples. */
export interface Rate {
  readonly bytesPerSecond: number | undefined;
  readonly secondsLeft: number | undefined;
}

/**
 * One job's live snapshot (undefined until known), with a smoothed rate and every phase it has
 * reported, in order (gathered from each update: React renders only the last of the updates
 * that arrive together, so a short phase would be missed if read from `job` at render time).
 */
export function useJob(jobId: string | undefined): { job: JobSnapshotDto | undefined; rate: Rate; phases: string[] } {
  const api = useApi();
  const [job, setJob] = useState<JobSnapshotDto | undefined>(undefined);
  const [rate, setRate] = useState<Rate>({ bytesPerSecond: undefined, secondsLeft: undefined });
  const [phases, setPhases] = useState<string[]>([]);
  const last = useRef<{ t: number; done: number; phase: string } | undefined>(undefined);
  useEffect(() => {
    setJob(undefined);
    setPhases([]);
    last.current = undefined;
    if (!jobId) return;
    let latestDone = false;
    const take = (snap: JobSnapshotDto): void => {
      if (snap.id !== jobId) return;
      if (latestDone && snap.state === 'running') return;
      if (snap.state !== 'running') latestDone = true;
      setJob(snap);
      const p = snap.progress;
      const phase = p?.phase;
      if (phase) setPhases((seen) => (seen.includes(phase) ? seen : [...seen, phase]));
      const doneBytes = p?.unit === 'bytes' ? p.done : undefined;
      if (p && doneBytes !== undefined) {
        const now = performance.now();
        const prev = last.current;
        if (prev && prev.phase === p.phase && now - prev.t > 150) {
          const inst = ((doneBytes - prev.done) * 1000) / (now - prev.t);
          setRate((r) => {
            const bps = r.bytesPerSecond === undefined ? inst : r.bytesPerSecond * 0.7 + inst * 0.3;
            const left = p.total !== undefined && bps > 0 ? (p.total - doneBytes) / bps : undefined;
            return { bytesPerSecond: bps, secondsLeft: left };
          });
          last.current = { t: now, done: doneBytes, phase: p.phase };
        } else if (!prev || prev.phase !== p.phase) {
          last.current = { t: now, done: doneBytes, phase: p.phase };
          // A new phase (the download's check after its transfer) has a speed of its own.
          if (prev) setRate({ bytesPerSecond: undefined, secondsLeft: undefined });
        }
      }
    };
    let heard = false;
    const onEvent = (snap: JobSnapshotDto): void => {
      if (snap.id === jobId) heard = true;
      take(snap);
    };
    const a = api.on('job:update', onEvent);
    const b = api.on('job:done', onEvent);
    // The first snapshot, unless an event already brought a newer one.
    api['jobs:get']({ jobId }).then((snap) => heard || take(snap), () => undefined);
    return () => {
      a();
      b();
    };
  }, [api, jobId]);
  return { job, rate, phases };
}
