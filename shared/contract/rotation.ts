/**
 * Rotation's slice of the contract: a policy (odoo_backup_sh's GFS tiers, keep-last-N, max
 * age), stored per storage, and a rotation's plan/result (`{ keep, delete }`). Pure zod.
 */
import { z } from 'zod';

/** A GFS tier's setting: a limit ≥ 1, `unlimited` (ends evaluation of coarser tiers), or `off`. */
export const tierSettingSchema = z.union([z.number().int().min(1), z.literal('unlimited'), z.literal('off')]);

/** The layouts rotation works on (each writer's names; nothing else is ever touched). */
export const rotationLayoutSchema = z.enum(['odoo-backup-sh', 'odoo-manager', 'backup-desk']);
/** The layouts rotation works on. */
export type RotationLayout = z.infer<typeof rotationLayoutSchema>;

/** A rotation policy; tiers left out are `off`. */
export const rotationPolicySchema = z.object({
  hourly: tierSettingSchema.optional(),
  daily: tierSettingSchema.optional(),
  weekly: tierSettingSchema.optional(),
  monthly: tierSettingSchema.optional(),
  yearly: tierSettingSchema.optional(),
  /** Also keep the N newest backups. */
  keepLast: z.number().int().min(1).optional(),
  /** Keep nothing older than this many days (the newest backup excepted). */
  maxAgeDays: z.number().positive().optional(),
});
/** A rotation policy. */
export type RotationPolicy = z.infer<typeof rotationPolicySchema>;

/** A backup rotation left alone, and why (never deleted). */
export const rotationSkipSchema = z.object({ ref: z.string(), reason: z.string() });

/** What a rotation kept and deleted (or, in a dry run, would delete). */
export const rotationResultSchema = z.object({
  storage: z.string(),
  db: z.string(),
  layout: rotationLayoutSchema,
  dryRun: z.boolean(),
  /** Backups kept, newest first (`storage:key` refs). */
  keep: z.array(z.string()),
  /** Backups deleted (or that a dry run would delete), newest first; each with its companions. */
  delete: z.array(z.string()),
  /** This database's backups that rotation does not touch: lone archives, unparseable names, other folders… */
  skipped: z.array(rotationSkipSchema),
  /** Bytes freed (or that would be), archives and companions. */
  bytes: z.number(),
  /** Deletions that failed (the rest went on); empty in a dry run. */
  failed: z.array(z.object({ ref: z.string(), error: z.string() })),
});
/** What a rotation kept and deleted. */
export type RotationResult = z.infer<typeof rotationResultSchema>;

/** A rotation request; without `policy` the storage's stored policy applies. */
export const rotationRequestSchema = z.object({
  storage: z.string().min(1),
  db: z.string().min(1),
  policy: rotationPolicySchema.optional(),
  layout: rotationLayoutSchema.default('odoo-backup-sh'),
  dryRun: z.boolean().default(false),
});

/** Rotation's contract methods. */
export const rotationMethods = {
  /** Applies (or with `dryRun` plans) a rotation of one database's backups on one storage. */
  'rotation:run': { args: rotationRequestSchema, result: rotationResultSchema },
  /** The rotation policy stored for a storage (`null` when none). */
  'rotation:get-policy': { args: z.object({ storage: z.string() }), result: rotationPolicySchema.nullable() },
  /** Stores (or with `null` removes) a storage's rotation policy, used by `backup … --rotate`. */
  'rotation:set-policy': { args: z.object({ storage: z.string(), policy: rotationPolicySchema.nullable() }), result: rotationPolicySchema.nullable() },
} as const;
