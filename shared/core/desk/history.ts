/** The history area of the Desk: past and running backups, restores, rotations and drills. */
import type { AreaApi, historyMethods } from '../../contract/api';
import { apiMethods, type ApiArgs, type ApiResult } from '../../contract/api';
import type { RunHistory } from '../history';

/** The history area: implements `history:list`. */
export class HistoryService implements AreaApi<typeof historyMethods> {
  constructor(private readonly history: RunHistory) {}

  /** @inheritdoc */
  async 'history:list'(args: ApiArgs<'history:list'> = {}): Promise<ApiResult<'history:list'>> {
    return this.history.list(apiMethods['history:list'].args.parse(args));
  }
}
