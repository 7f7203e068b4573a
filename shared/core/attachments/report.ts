/**
 * Tallies `ir_attachment` rows into an `AttachmentReport`: counts and sizes by location and
 * bucket/container, distinct objects, the location parameter in force, whether the content is
 * all in the database or the (backup's) filestore, and which storage module the names point to.
 * Rows come from a live database (`db-scan.ts`) or a dump's COPY block (`dump-scan.ts`).
 */
import type { AttachmentGroup, AttachmentReport, AttachmentWhere } from '../../contract/attachments';
import { openstackContainerOf, parseStoreFname, storeOf, type StoredAt } from './store-fname';

/** One attachment row (or several identical ones, with `count`). */
export interface AttachmentRow {
  readonly storeFname: string | null;
  /** `binary` or `url`. */
  readonly type?: string | null;
  /** True when `db_datas` is not null. */
  readonly inDb?: boolean;
  readonly fileSize?: number | null;
  /** How many rows this stands for (default 1). */
  readonly count?: number;
}

/** The ICP values that decide where attachments go. */
export interface StorageParams {
  location?: string | undefined;
  forceDatabase?: string | undefined;
  openstack?: string | undefined;
}

/** The ICP keys the report reads. */
export const STORAGE_PARAM_KEYS = {
  'ir_attachment.location': 'location',
  'ir_attachment.storage.force.database': 'forceDatabase',
  'ir_attachment.location.openstack': 'openstack',
} as const satisfies Record<string, keyof StorageParams>;

interface Group {
  where: AttachmentWhere;
  store: string | undefined;
  count: number;
  bytes: number;
  objects: Set<string>;
}

/** Where a parsed location goes in the report. */
function whereOf(at: StoredAt): AttachmentWhere {
  return at.kind === 'unknown' ? 'unknown' : at.kind;
}

const REMOTE: ReadonlySet<AttachmentWhere> = new Set(['s3', 'swift', 'fs', 'openstack', 'unknown']);

/** Accumulates rows; `finish` makes the report. Memory grows with distinct remote objects only. */
export class AttachmentTally {
  private readonly groups = new Map<string, Group>();
  private params: StorageParams = {};
  private openstackContainer: string | undefined;
  private filestoreDistinct = 0;

  /** `dbName`: the database the rows come from (Catalyst containers are named after it). */
  constructor(private readonly dbName?: string) {}

  /** Sets the ICP values (before the rows, for Catalyst container names; or after). */
  setParams(params: StorageParams): void {
    this.params = { ...this.params, ...params };
    this.openstackContainer = openstackContainerOf(this.params.openstack, this.dbName);
  }

  /** Adds one row (or `row.count` identical rows). */
  add(row: AttachmentRow): void {
    const n = row.count ?? 1;
    const size = Number(row.fileSize ?? 0) || 0;
    if (row.storeFname === null || row.storeFname === '') {
      const where: AttachmentWhere = row.type === 'url' ? 'url' : row.inDb ? 'database' : 'empty';
      this.group(where, undefined).count += n;
      this.group(where, undefined).bytes += size;
      return;
    }
    const at = parseStoreFname(row.storeFname, { location: this.params.location, openstackContainer: this.openstackContainer });
    // Catalyst's container is known only once the parameters are (a dump has them after the rows).
    const g = this.group(whereOf(at), at.kind === 'openstack' ? undefined : storeOf(at));
    g.count += n;
    g.bytes += size;
    if (at.kind !== 'filestore') g.objects.add(row.storeFname);
  }

  /** Adds a filestore group tallied elsewhere (SQL aggregates): rows, bytes, distinct names. */
  addFilestore(count: number, bytes: number, distinct: number): void {
    const g = this.group('filestore', undefined);
    g.count += count;
    g.bytes += bytes;
    this.filestoreDistinct += distinct;
  }

  private group(where: AttachmentWhere, store: string | undefined): Group {
    const k = `${where}\u0000${store ?? ''}`;
    let g = this.groups.get(k);
    if (!g) {
      g = { where, store, count: 0, bytes: 0, objects: new Set() };
      this.groups.set(k, g);
    }
    return g;
  }

  /** Every distinct remote `store_fname` seen, with its group (for presence checks). */
  *remoteNames(): Generator<{ storeFname: string; where: AttachmentWhere; store: string | undefined }> {
    for (const g of this.groups.values()) {
      if (!REMOTE.has(g.where)) continue;
      for (const name of g.objects) yield { storeFname: name, where: g.where, store: g.store };
    }
  }

  /**
   * The report. `inBackup(storeFname)` says whether a backup's own filestore holds a remote
   * object (by its SHA-1); without it the report is about a database, whose remote objects
   * are by definition not local.
   */
  finish(inBackup?: (storeFname: string) => boolean, filestoreInBackup?: boolean): AttachmentReport {
    const location = this.params.location?.trim() || 'file';
    const groups: AttachmentGroup[] = [];
    const remote = { count: 0, bytes: 0, objects: 0, missingFromBackup: 0 };
    for (const g of [...this.groups.values()].sort(compareGroups)) {
      const out: { -readonly [K in keyof AttachmentGroup]: AttachmentGroup[K] } = { where: g.where, count: g.count, bytes: g.bytes };
      const store = g.where === 'openstack' ? this.openstackContainer : g.store;
      if (store !== undefined) out.store = store;
      if (g.where === 'filestore' && this.filestoreDistinct > 0) out.objects = this.filestoreDistinct;
      if (REMOTE.has(g.where)) {
        out.objects = g.objects.size;
        remote.count += g.count;
        remote.bytes += g.bytes;
        remote.objects += g.objects.size;
        if (inBackup) {
          let have = 0;
          for (const name of g.objects) if (inBackup(name)) have++;
          out.inBackup = have;
          remote.missingFromBackup += g.objects.size - have;
        }
      }
      groups.push(out);
    }
    // A backup without its filestore (a .dump, a database-only backup) lacks the files of the filestore's attachments too.
    const filesLeftOut = filestoreInBackup === false ? (groups.find((g) => g.where === 'filestore')?.count ?? 0) : 0;
    // `selfContained` speaks of object storage (what a restore would have to fetch); the filestore's absence is a note.
    const selfContained = inBackup ? remote.missingFromBackup === 0 : remote.objects === 0;
    const module = moduleOf(location, groups);
    const report: AttachmentReport = {
      location,
      locationSet: this.params.location !== undefined,
      ...(module ? { module } : {}),
      ...(this.params.forceDatabase !== undefined ? { forceDatabase: this.params.forceDatabase } : {}),
      groups,
      total: { count: groups.reduce((a, g) => a + g.count, 0), bytes: groups.reduce((a, g) => a + g.bytes, 0) },
      remote: { count: remote.count, bytes: remote.bytes, objects: remote.objects, ...(inBackup ? { missingFromBackup: remote.missingFromBackup } : {}) },
      selfContained,
      ...(filesLeftOut > 0 ? { filestoreLeftOut: filesLeftOut } : {}),
      notes: [],
    };
    const leftOut = filesLeftOut > 0 ? [`No filestore: this backup holds the database only (a .dump, or one made without the filestore), so the files of the ${filesLeftOut} attachments kept in the filestore are not in it.`] : [];
    return { ...report, notes: [...leftOut, ...notesOf(report, !!inBackup)] };
  }
}

const ORDER: readonly AttachmentWhere[] = ['database', 'filestore', 's3', 'swift', 'openstack', 'fs', 'url', 'empty', 'unknown'];

function compareGroups(a: Group, b: Group): number {
  return ORDER.indexOf(a.where) - ORDER.indexOf(b.where) || (a.store ?? '').localeCompare(b.store ?? '');
}

/** The module the location parameter and the names point to. */
function moduleOf(location: string, groups: readonly AttachmentGroup[]): AttachmentReport['module'] {
  const has = (w: AttachmentWhere): boolean => groups.some((g) => g.where === w);
  if (location === 'openstack' || has('openstack')) return 'odoo_openstack_storage';
  if (/^(s3|https?):\/\/[^@/]*@/i.test(location)) return 'odoo_s3_storage';
  if (location === 's3' || has('s3')) return 'attachment_s3';
  if (location === 'swift' || has('swift')) return 'attachment_swift';
  if (has('fs') || !['file', 'db'].includes(location)) return 'fs_attachment';
  return undefined;
}

/** One line per fact a person should know. */
function notesOf(r: AttachmentReport, backup: boolean): string[] {
  const notes: string[] = [];
  const stores = r.groups.filter((g) => REMOTE.has(g.where) && g.where !== 'unknown').map((g) => `${g.where}://${g.store ?? '?'}`);
  if (r.remote.objects > 0) {
    if (backup && r.selfContained) {
      notes.push(`Self-contained: the ${r.remote.objects} objects kept in ${stores.join(', ')} are also in the backup's filestore.`);
    } else if (backup) {
      notes.push(`Not self-contained: ${r.remote.missingFromBackup ?? r.remote.objects} of ${r.remote.objects} attachment objects are only in ${stores.join(', ') || 'object storage'}, not in this backup. A restore without access to them reads those attachments as empty.`);
    } else {
      notes.push(`${r.remote.objects} attachment objects are kept outside this database and its filestore, in ${stores.join(', ') || 'object storage'}.`);
    }
  }
  if (r.module === 'odoo_openstack_storage') {
    notes.push('odoo_openstack_storage keeps Swift credentials in the database (ir_attachment.location.openstack): a restored copy can read and write that container; they are never shown here.');
  }
  if (r.module === 'odoo_s3_storage') notes.push('odoo_s3_storage keeps S3 credentials in ir_attachment.location: a restored copy can reach that bucket.');
  if (r.groups.some((g) => g.where === 'unknown')) notes.push('Some store_fname values have a form this app does not know.');
  if (r.locationSet && !['file', 'db'].includes(r.location) && r.remote.objects === 0) {
    notes.push(`ir_attachment.location is "${r.location}": new attachments go to object storage, though none are there yet.`);
  }
  return notes;
}
