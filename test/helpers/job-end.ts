/**
 * Waits for a Desk job in-process: polls the job manager (no events, no timeout of its own — the
 * test's timeout applies) until the job has ended or `until` says to stop waiting.
 */
import type { JobSnapshot, JobState } from '../../shared/core/jobs/job';
import type { JobManager } from '../../shared/core/jobs/job-manager';

/** The job's state once it has ended, or once `until(job)` holds (e.g. a phase to cancel in). */
export async function jobEnd(desk: { readonly jobs: JobManager }, jobId: string, until: (job: JobSnapshot) => boolean = () => false): Promise<JobState> {
  for (;;) {
    const job = desk.jobs.get(jobId)!;
    if (job.state !== 'running' || until(job)) return job.state;
    await new Promise((r) => setTimeout(r, 5));
  }
}
