/** How the CLI prints where attachments live (`inspect` of a backup or a database). */
import type { AttachmentReport } from '../contract/attachments';
import { formatBytes, table } from './format';

const LABELS: Readonly<Record<string, string>> = { database: 'in the database', filestore: 'filestore', url: 'URL links', empty: 'empty', unknown: 'unknown form' };

/** The report as lines: a summary, one table row per location, then the notes. */
export function formatAttachmentReport(r: AttachmentReport): string[] {
  const head = `${r.total.count} (${formatBytes(r.total.bytes)}); ir_attachment.location = ${r.location}${r.locationSet ? '' : ' (default)'}${r.module ? `, module ${r.module}` : ''}; ${r.filestoreLeftOut ? 'NOT self-contained: no filestore' : r.selfContained ? 'self-contained' : 'NOT self-contained'}`;
  const rows = r.groups.map((g) => [
    LABELS[g.where] ?? `${g.where === 'openstack' ? 'swift (openstack)' : g.where}://${g.store ?? '?'}`,
    String(g.count),
    formatBytes(g.bytes),
    g.objects !== undefined ? String(g.objects) : '',
    g.inBackup !== undefined ? String(g.inBackup) : '',
  ]);
  const lines = table(['  where', 'rows', 'size', 'objects', 'in backup'], rows.map((x) => [`  ${x[0]}`, ...x.slice(1)])).trimEnd().split('\n');
  return [head, ...lines, ...r.notes.map((n) => `  note: ${n}`)];
}
