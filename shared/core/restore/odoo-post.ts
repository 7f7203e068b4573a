/**
 * What Odoo does to a restored database afterwards, done in SQL on the (still temporary) database:
 * `copy` regenerates the database identity (`ir.config_parameter.init(force=True)` for
 * `database.uuid`, `database.secret`, `database.create_date`), and neutralization follows Odoo 16+'s
 * `data/neutralize.sql` scripts (base and the usual integrations), applied only to tables and columns
 * that exist so it also works on older versions; odoo_backup_sh's backup schedules are switched off.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';

/** A version-1 (time-based) UUID with a random node id, as Python's `uuid.uuid1()` makes. */
export function uuid1(now = Date.now()): string {
  // 100-ns intervals since 1582-10-15.
  const t = BigInt(now) * 10000n + 0x01b21dd213814000n + BigInt(randomBytes(1)[0]! % 100);
  const timeLow = Number(t & 0xffffffffn);
  const timeMid = Number((t >> 32n) & 0xffffn);
  const timeHi = Number((t >> 48n) & 0x0fffn) | 0x1000;
  const rnd = randomBytes(8);
  const clockSeq = ((rnd.readUInt16BE(0) & 0x3fff) | 0x8000) >>> 0;
  const node = rnd.subarray(2, 8);
  node[0] = node[0]! | 0x01; // multicast bit: a random node id
  const h = (n: number, w: number): string => n.toString(16).padStart(w, '0');
  return `${h(timeLow, 8)}-${h(timeMid, 4)}-${h(timeHi, 4)}-${h(clockSeq, 4)}-${node.toString('hex')}`;
}

/** Odoo's datetime text (`%Y-%m-%d %H:%M:%S`, UTC). */
export function odooNow(d = new Date()): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

type Columns = Map<string, Set<string>>;

async function loadColumns(client: pg.Client): Promise<Columns> {
  const r = await client.query<{ t: string; c: string }>(
    "SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = 'public'",
  );
  const m: Columns = new Map();
  for (const row of r.rows) {
    let s = m.get(row.t);
    if (!s) m.set(row.t, (s = new Set()));
    s.add(row.c);
  }
  return m;
}

function has(cols: Columns, table: string, ...columns: string[]): boolean {
  const s = cols.get(table);
  return !!s && columns.every((c) => s.has(c));
}

async function setParam(client: pg.Client, key: string, value: string): Promise<void> {
  const r = await client.query('UPDATE ir_config_parameter SET value = $2 WHERE key = $1', [key, value]);
  if (r.rowCount === 0) await client.query('INSERT INTO ir_config_parameter (key, value) VALUES ($1, $2)', [key, value]);
}

/** Regenerates `database.uuid`, `database.secret` and `database.create_date` (Odoo's "copy"). */
export async function regenerateIdentity(client: pg.Client): Promise<boolean> {
  const cols = await loadColumns(client);
  if (!has(cols, 'ir_config_parameter', 'key', 'value')) return false;
  await setParam(client, 'database.uuid', uuid1());
  await setParam(client, 'database.secret', randomUUID());
  await setParam(client, 'database.create_date', odooNow());
  return true;
}

/** Which modules are installed (state installed/to upgrade), when the table exists. */
async function installedModules(client: pg.Client, cols: Columns): Promise<Set<string>> {
  if (!has(cols, 'ir_module_module', 'name', 'state')) return new Set();
  const r = await client.query<{ name: string }>("SELECT name FROM ir_module_module WHERE state IN ('installed', 'to upgrade')");
  return new Set(r.rows.map((x) => x.name));
}

/**
 * Neutralizes a restored database like Odoo 16+ (`odoo/modules/neutralize.py` runs every installed
 * module's `data/neutralize.sql`), and the equivalent on older versions. Returns what was done.
 */
export async function neutralize(client: pg.Client): Promise<string[]> {
  const cols = await loadColumns(client);
  const mods = await installedModules(client, cols);
  const done: string[] = [];
  const run = async (label: string, sql: string, params: unknown[] = []): Promise<void> => {
    await client.query(sql, params);
    done.push(label);
  };
  // base: mail servers
  if (has(cols, 'ir_mail_server', 'active')) {
    await run('deactivated outgoing mail servers', 'UPDATE ir_mail_server SET active = false');
    const c = cols.get('ir_mail_server')!;
    const values: Record<string, unknown> = { name: 'neutralization - disable emails', smtp_port: 1025, smtp_host: 'invalid', smtp_encryption: 'none', active: true };
    if (c.has('smtp_authentication')) values.smtp_authentication = 'login';
    if (c.has('sequence')) values.sequence = 10;
    const names = Object.keys(values).filter((k) => c.has(k));
    // A backup of a copy neutralized before has the dummy already: switched on again, not added twice.
    const again = names.includes('name') && names.includes('smtp_host') ? await client.query("UPDATE ir_mail_server SET active = true WHERE name = 'neutralization - disable emails' AND smtp_host = 'invalid'") : undefined;
    if (again?.rowCount) done.push('switched the dummy mail server "neutralization - disable emails" (invalid:1025) back on');
    else if (names.includes('name') && names.includes('smtp_host') && names.includes('smtp_port')) {
      await run(
        'added the dummy mail server "neutralization - disable emails" (invalid:1025)',
        `INSERT INTO ir_mail_server (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`,
        names.map((k) => values[k]),
      );
    }
  }
  // base: crons except the autovacuum job
  if (has(cols, 'ir_cron', 'active')) {
    if (has(cols, 'ir_model_data', 'model', 'module', 'name', 'res_id')) {
      await run(
        'deactivated scheduled actions (except base.autovacuum_job)',
        "UPDATE ir_cron SET active = false WHERE id NOT IN (SELECT res_id FROM ir_model_data WHERE model = 'ir.cron' AND module = 'base' AND name = 'autovacuum_job')",
      );
    } else {
      await run('deactivated scheduled actions', 'UPDATE ir_cron SET active = false');
    }
  }
  // base 17+: server actions calling webhooks
  if (has(cols, 'ir_act_server', 'state', 'webhook_url')) {
    await run('disabled webhook server actions', "UPDATE ir_act_server SET webhook_url = NULL WHERE state = 'webhook'").catch(() => undefined);
  }
  // fetchmail (incoming mail servers)
  if (has(cols, 'fetchmail_server', 'active')) await run('deactivated incoming mail servers', 'UPDATE fetchmail_server SET active = false');
  // payment providers (payment, 16+) / acquirers (older)
  if (has(cols, 'payment_provider', 'state')) await run('set payment providers to disabled', "UPDATE payment_provider SET state = 'disabled' WHERE state NOT IN ('test', 'disabled')");
  if (has(cols, 'payment_acquirer', 'state')) await run('set payment acquirers to disabled', "UPDATE payment_acquirer SET state = 'disabled' WHERE state NOT IN ('test', 'disabled')");
  // delivery carriers
  if (has(cols, 'delivery_carrier', 'prod_environment')) await run('switched delivery carriers to test mode', 'UPDATE delivery_carrier SET prod_environment = false');
  // website: domains and CDN
  if (mods.has('website') || has(cols, 'website', 'domain')) {
    if (has(cols, 'website', 'domain')) await run('cleared website domains', 'UPDATE website SET domain = NULL');
    if (has(cols, 'website', 'cdn_activated')) await run('disabled website CDN', 'UPDATE website SET cdn_activated = false');
    if (has(cols, 'ir_ui_view', 'key', 'active')) await client.query("UPDATE ir_ui_view SET active = true WHERE key = 'website.neutralize_ribbon'");
  }
  // social/IAP-style tokens commonly neutralized: Google/Microsoft mail OAuth on servers
  // odoo_backup_sh: switch off its backup schedules in the copy
  if (has(cols, 'odoo_backup_sh_config', 'active')) {
    await run('deactivated odoo_backup_sh backup schedules', 'UPDATE odoo_backup_sh_config SET active = false');
  }
  if (has(cols, 'ir_cron', 'active') && has(cols, 'ir_model_data', 'model', 'module', 'res_id')) {
    await client.query("UPDATE ir_cron SET active = false WHERE id IN (SELECT res_id FROM ir_model_data WHERE model = 'ir.cron' AND module LIKE 'odoo_backup_sh%')");
  }
  // neutralization flag
  if (has(cols, 'ir_config_parameter', 'key', 'value')) {
    await setParam(client, 'database.is_neutralized', 'true');
    done.push('set database.is_neutralized');
  }
  return done;
}
