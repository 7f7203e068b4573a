/**
 * Which bucket/container is a database's own, for duplicating or dropping it with the database:
 * Catalyst's `<container_prefix>-<db lowercased>` (`ir_attachment.location` = `openstack`), or an
 * S3 bucket / Swift container named after the database (`odoo-{db}` with Camptocamp's
 * `AWS_BUCKETNAME`), or the one named explicitly.
 */
import type pg from 'pg';
import type { AttachmentGroup } from '../../../contract/attachments';
import { AppError } from '../../errors';
import { readStorageParams, scanDatabaseAttachments } from '../db-scan';
import { openstackContainerOf } from '../store-fname';

/** A database's own bucket/container and how its rows name objects there. */
export interface OwnStore {
  /** `openstack`: bare SHA-1 names, the container implied by the database name; `uri`: `s3://<bucket>/<sha>`, `swift://<container>/<sha>`. */
  readonly form: 'uri' | 'openstack';
  readonly kind: 's3' | 'swift';
  readonly name: string;
}

/** True when `store` is named after `db` (`<db>` or `<prefix>-<db>`, lowercased). */
function namedAfter(store: string, db: string): boolean {
  const d = db.toLowerCase();
  return store === d || store.endsWith(`-${d}`);
}

/** The bucket/container named after the database, or `given`; throws when there is none or several. */
function ownOf(groups: readonly AttachmentGroup[], db: string, given: string | undefined): AttachmentGroup {
  const remote = groups.filter((g) => (g.where === 's3' || g.where === 'swift') && g.store);
  if (remote.length === 0) throw new AppError('InvalidInput', `"${db}" keeps no attachments in an S3 bucket or a Swift container.`, { hint: "Copy or drop it like any database (Odoo's database manager, or a backup and a restore)." });
  const mine = remote.filter((g) => (given !== undefined ? g.store === given : namedAfter(g.store!, db)));
  const names = remote.map((g) => `${g.where}://${g.store}`).join(', ');
  if (mine.length === 1) return mine[0]!;
  if (given !== undefined) throw new AppError('InvalidInput', `"${db}" keeps no attachments in "${given}" (it uses ${names}).`, { hint: 'Name one of those.' });
  throw new AppError('InvalidInput', mine.length ? `Several buckets/containers are named after "${db}": ${names}.` : `None of the buckets/containers "${db}" uses (${names}) is named after it.`, { hint: 'Name its own bucket/container (--from-store / --store NAME).' });
}

/** The database's own bucket/container (`given`: named explicitly). */
export async function ownStore(client: pg.Client, db: string, given?: string): Promise<OwnStore> {
  const params = await readStorageParams(client);
  const container = openstackContainerOf(params.openstack, db);
  if (params.location === 'openstack' && container) return { form: 'openstack', kind: 'swift', name: given ?? container };
  const report = await scanDatabaseAttachments(client, db);
  const g = ownOf(report?.groups ?? [], db, given);
  return { form: 'uri', kind: g.where as 's3' | 'swift', name: g.store! };
}

/** The copy's bucket/container: `given`, Catalyst's name for the copy, or the source's with the database name replaced. */
export async function copyStoreName(client: pg.Client, own: OwnStore, db: string, newDb: string, given?: string): Promise<string> {
  if (given) return given;
  if (own.form === 'openstack') return openstackContainerOf((await readStorageParams(client)).openstack, newDb)!;
  const d = db.toLowerCase();
  if (own.name === d) return newDb.toLowerCase();
  if (own.name.endsWith(`-${d}`)) return `${own.name.slice(0, -d.length)}${newDb.toLowerCase()}`;
  throw new AppError('InvalidInput', `Which bucket/container should the copy of "${db}" use?`, { hint: 'Name it with --to-store NAME.' });
}
