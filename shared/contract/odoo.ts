/**
 * The Odoo instances' slice of the contract: named connections to running Odoo servers' database
 * managers (URL in the home folder, master password in the keychain), their databases, and
 * what can be done to them from here. Pure zod.
 */
import { z } from 'zod';

/** Instance names: `odoo:NAME` targets and sources use them, so no `:` and no spaces. */
export const ODOO_INSTANCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

const instanceName = z.string().regex(ODOO_INSTANCE_NAME, 'Use letters, digits, "_", "." or "-", starting with a letter or digit.');
/** Odoo's own rule for database names (DBNAME_PATTERN). */
const dbName = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/, 'Use letters, digits, "_", "." or "-", starting with a letter or digit.');

/** A configured instance (never its master password). */
export const odooInstanceSummarySchema = z.object({ name: z.string(), url: z.string(), createdAt: z.string() });
/** A configured instance. */
export type OdooInstanceSummary = z.infer<typeof odooInstanceSummarySchema>;

/** One database on an instance. */
export const odooDatabaseSchema = z.object({
  name: z.string(),
  /** Bytes, when the server tells (Odoo 12–19 does not). */
  size: z.number().optional(),
});

/** What an instance says about itself and its databases. */
export const odooInstanceDatabasesSchema = z.object({
  name: z.string(),
  url: z.string(),
  /** `server_version` (`17.0`, `16.0+e-20221214`). */
  version: z.string(),
  major: z.number(),
  databases: z.array(odooDatabaseSchema),
  /** True when the server hides its list (`list_db = False`): `databases` is then empty. */
  listDisabled: z.boolean(),
});
/** What an instance says about itself and its databases. */
export type OdooInstanceDatabases = z.infer<typeof odooInstanceDatabasesSchema>;

/** One check of `odoo:test`. */
export const odooCheckSchema = z.object({
  name: z.string(),
  ok: z.boolean(),
  /** What the check found, in the app's words. */
  message: z.string(),
  /** The same in the CLI's words, when they differ (a hint naming a command). */
  cliMessage: z.string().optional(),
});

/** The result of testing an instance. */
export const odooTestResultSchema = z.object({ ok: z.boolean(), version: z.string().optional(), checks: z.array(odooCheckSchema) });
/** The result of testing an instance. */
export type OdooTestResult = z.infer<typeof odooTestResultSchema>;

/** The Odoo instances' contract methods. */
export const odooMethods = {
  /** The configured instances. */
  'odoo:list': { args: z.object({}), result: z.array(odooInstanceSummarySchema) },
  /** Adds an instance; by default first checks that it answers and takes the master password. */
  'odoo:add': {
    args: z.object({ name: instanceName, url: z.string().min(1), masterPassword: z.string().min(1), check: z.boolean().default(true) }),
    result: odooInstanceSummarySchema,
  },
  /** Removes an instance and its stored master password (its databases are untouched). */
  'odoo:remove': { args: z.object({ name: z.string() }), result: z.object({}) },
  /** Replaces the stored master password (checked against the server first unless `check` is false). */
  'odoo:set-password': { args: z.object({ name: z.string(), masterPassword: z.string().min(1), check: z.boolean().default(true) }), result: z.object({}) },
  /** Checks: the server answers, its version, the master password, the database list. */
  'odoo:test': { args: z.object({ name: z.string() }), result: odooTestResultSchema },
  /** The server's version and databases. */
  'odoo:dbs': { args: z.object({ name: z.string() }), result: odooInstanceDatabasesSchema },
  /** Duplicates a database on the server (optionally neutralized, Odoo 16+): a job. */
  'odoo:duplicate': {
    args: z.object({ name: z.string(), db: z.string().min(1), newName: dbName, neutralize: z.boolean().default(false) }),
    result: z.object({ jobId: z.string() }),
  },
  /** Drops a database on the server; `confirm` must repeat its name (a typed confirmation). */
  'odoo:drop': { args: z.object({ name: z.string(), db: z.string().min(1), confirm: z.string() }), result: z.object({}) },
} as const;
