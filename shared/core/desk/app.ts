/** The app area of the Desk: version, home folder and which secret store is in use. */
import type { AreaApi, appMethods } from '../../contract/api';
import type { ApiArgs, ApiResult } from '../../contract/api';
import type { DeskKernel } from './kernel';
import { APP_VERSION } from './version';

/** The app area: implements `app:info`. */
export class AppService implements AreaApi<typeof appMethods> {
  constructor(private readonly k: DeskKernel) {}

  /** @inheritdoc */
  async 'app:info'(_args: ApiArgs<'app:info'> = {}): Promise<ApiResult<'app:info'>> {
    let secretsBackend = 'unavailable';
    try {
      secretsBackend = (await this.k.secrets()).backend;
    } catch {
      /* reported as unavailable */
    }
    return { version: APP_VERSION, home: this.k.home, secretsBackend, platform: process.platform };
  }
}
