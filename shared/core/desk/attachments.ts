/** The attachments area of the Desk: where the attachments of a live or restored database live. */
import type { AreaApi, attachmentsMethods } from '../../contract/api';
import { apiMethods, type ApiArgs, type ApiResult } from '../../contract/api';
import { scanDatabaseAttachments } from '../attachments';
import { connect as connectDb } from '../pg/connection';
import { resolveTarget } from './engine';
import type { RestoreService } from './restores';

/** The attachments area: implements `attachments:inspect-db`. */
export class AttachmentService implements AreaApi<typeof attachmentsMethods> {
  constructor(private readonly restores: RestoreService) {}

  /** @inheritdoc */
  async 'attachments:inspect-db'(args: ApiArgs<'attachments:inspect-db'>): Promise<ApiResult<'attachments:inspect-db'>> {
    const a = apiMethods['attachments:inspect-db'].args.parse(args);
    const t = await resolveTarget(a.target, this.restores.embedded);
    const client = await connectDb(t.pgUrl, a.db);
    try {
      return (await scanDatabaseAttachments(client)) ?? null;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
