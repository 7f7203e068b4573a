/** The jobs area of the Desk: the long work of every area, listed, followed and cancelled. */
import type { AreaApi, jobsMethods } from '../../contract/api';
import type { ApiArgs, ApiResult } from '../../contract/api';
import { AppError } from '../errors';
import type { JobSnapshot } from '../jobs/job';
import type { JobManager } from '../jobs/job-manager';

/** A job snapshot as the contract's DTO. */
export function toDto(j: JobSnapshot): ApiResult<'jobs:get'> {
  return {
    id: j.id,
    kind: j.kind,
    title: j.title,
    state: j.state,
    startedAt: j.startedAt,
    ...(j.finishedAt ? { finishedAt: j.finishedAt } : {}),
    ...(j.progress ? { progress: { ...j.progress } } : {}),
    ...(j.result !== undefined ? { result: j.result } : {}),
    ...(j.error ? { error: { ...j.error } } : {}),
    log: j.log.map((l) => ({ ...l })),
  };
}

/** The jobs area: implements `jobs:list`, `jobs:get` and `jobs:cancel`. */
export class JobService implements AreaApi<typeof jobsMethods> {
  constructor(private readonly jobs: JobManager) {}

  /** @inheritdoc */
  async 'jobs:list'(_args: ApiArgs<'jobs:list'> = {}): Promise<ApiResult<'jobs:list'>> {
    return this.jobs.list().map(toDto);
  }

  /** @inheritdoc */
  async 'jobs:get'(args: ApiArgs<'jobs:get'>): Promise<ApiResult<'jobs:get'>> {
    const j = this.jobs.get(args.jobId);
    if (!j) throw new AppError('NotFound', `There is no job ${args.jobId}.`, { hint: 'List jobs to see the known ones.' });
    return toDto(j);
  }

  /** @inheritdoc */
  async 'jobs:cancel'(args: ApiArgs<'jobs:cancel'>): Promise<ApiResult<'jobs:cancel'>> {
    return { cancelled: this.jobs.cancel(args.jobId) };
  }
}
