/**
 * `rotate --storage NAME --db DB [tiers] [--keep-last N] [--max-age DAYS] [--layout L] [--dry-run] [--json]`
 * applies odoo_backup_sh's GFS rotation (plus keep-last-N and a maximum age) to one database's
 * backups on one storage; `storage rotation NAME [policy flags] [--clear]` shows or stores the
 * policy `backup … --rotate` applies to that storage.
 */
import type { Command } from 'commander';
import { rotationLayoutSchema, type RotationPolicy, type RotationResult } from '../../contract/rotation';
import { UsageError, type CliContext } from '../context';
import { formatBytes } from '../format';
import { commandGroup, type CommandModule } from './index';

const TIERS = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;

/** The policy flags as commander gives them. */
interface PolicyFlags {
  hourly?: string;
  daily?: string;
  weekly?: string;
  monthly?: string;
  yearly?: string;
  keepLast?: string;
  maxAge?: string;
}

/** `7` | `unlimited` | `off` -> a tier setting. */
function tierSetting(flag: string, raw: string): number | 'unlimited' | 'off' {
  if (raw === 'unlimited' || raw === 'off') return raw;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1) throw new UsageError(`--${flag} must be a whole number ≥ 1, "unlimited" or "off" (got "${raw}").`, `For example --${flag} 7`);
  return n;
}

/** The policy the flags give; `undefined` when no policy flag was given. */
export function policyFromFlags(o: PolicyFlags): RotationPolicy | undefined {
  const policy: Record<string, unknown> = {};
  for (const t of TIERS) if (o[t] !== undefined) policy[t] = tierSetting(t, o[t]);
  if (o.keepLast !== undefined) {
    if (!/^\d+$/.test(o.keepLast) || Number(o.keepLast) < 1) throw new UsageError(`--keep-last must be a whole number ≥ 1 (got "${o.keepLast}").`);
    policy.keepLast = Number(o.keepLast);
  }
  if (o.maxAge !== undefined) {
    const days = Number(o.maxAge);
    if (!Number.isFinite(days) || days <= 0) throw new UsageError(`--max-age must be a number of days > 0 (got "${o.maxAge}").`);
    policy.maxAgeDays = days;
  }
  return Object.keys(policy).length ? (policy as RotationPolicy) : undefined;
}

/** Adds the policy flags to a command. */
function withPolicyFlags(cmd: Command): Command {
  for (const t of TIERS) cmd.option(`--${t} <n>`, `${t} tier: keep the newest backup of each of the N most recent ${t === 'daily' ? 'days' : t.replace(/ly$/, 's')} that hold one; "unlimited" (ends the coarser tiers) or "off"`);
  return cmd
    .option('--keep-last <n>', 'also keep the N newest backups')
    .option('--max-age <days>', 'keep nothing older than DAYS (the newest backup is always kept)');
}

/** A policy in one line: `daily=7 weekly=4 keep-last=3 max-age=90d`. */
export function describePolicy(p: RotationPolicy): string {
  const parts: string[] = [];
  for (const t of TIERS) if (p[t] !== undefined) parts.push(`${t}=${p[t]}`);
  if (p.keepLast !== undefined) parts.push(`keep-last=${p.keepLast}`);
  if (p.maxAgeDays !== undefined) parts.push(`max-age=${p.maxAgeDays}d`);
  return parts.join(' ') || '(no rule)';
}

/** Prints a rotation result for people. */
function printResult(ctx: CliContext, r: RotationResult): void {
  for (const ref of r.keep) ctx.out(`keep    ${ref}`);
  for (const ref of r.delete) ctx.out(`${r.dryRun ? 'would delete' : 'deleted'} ${ref}`);
  for (const f of r.failed) ctx.err(`error: could not delete ${f.ref}: ${f.error}`);
  for (const s of r.skipped) ctx.err(`left alone: ${s.ref} (${s.reason})`);
  const verb = r.dryRun ? 'would delete' : 'deleted';
  ctx.err(`${r.keep.length} kept, ${r.delete.length} ${verb} (${formatBytes(r.bytes)})${r.dryRun ? ' — dry run, nothing deleted' : ''}${r.failed.length ? `, ${r.failed.length} failed` : ''}.`);
}

/** The `rotate` command and `storage rotation`. */
export const rotateCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    withPolicyFlags(
      program
        .command('rotate')
        .description("delete old backups of one database on one storage by odoo_backup_sh's rotation rules (GFS tiers, keep-last, max age)")
        .requiredOption('--storage <name>', 'the storage to rotate')
        .requiredOption('--db <db>', 'the database whose backups to rotate'),
    )
      .option('--layout <layout>', `which backups: ${rotationLayoutSchema.options.join(', ')}`, 'odoo-backup-sh')
      .option('--dry-run', 'only print what would be deleted')
      .option('--json', 'print {"keep": [ref…], "delete": [ref…], …}')
      .addHelpText('after', "\nWithout policy flags the storage's stored policy applies (see `storage rotation`). Tiers not given are off.\nNever deleted: the newest backup, strays, a lone archive or .info, other databases' backups, names it cannot parse,\nanything outside the layout. An archive and its .info/sidecar are deleted together.")
      .action(async (opts: PolicyFlags & { storage: string; db: string; layout: string; dryRun?: boolean; json?: boolean }, cmd: Command) => {
        const layout = rotationLayoutSchema.safeParse(opts.layout);
        if (!layout.success) throw new UsageError(`Unknown --layout "${opts.layout}".`, `Use one of: ${rotationLayoutSchema.options.join(', ')}.`);
        const policy = policyFromFlags(opts);
        const desk = await ctx.desk(cmd);
        const r = await desk['rotation:run']({ storage: opts.storage, db: opts.db, layout: layout.data, dryRun: opts.dryRun === true, ...(policy ? { policy } : {}) }, ctx.interrupt.signal);
        if (r.failed.length) ctx.exitCode = 1;
        if (opts.json) ctx.out(JSON.stringify(r, null, 2));
        else printResult(ctx, r);
      });

    withPolicyFlags(
      commandGroup(program, 'storage', 'configure storages')
        .command('rotation <name>')
        .description('show, set (with policy flags) or --clear the rotation policy `backup … --rotate` applies to a storage'),
    )
      .option('--clear', 'remove the stored policy')
      .option('--json', 'print the policy as JSON (null when none)')
      .action(async (name: string, opts: PolicyFlags & { clear?: boolean; json?: boolean }, cmd: Command) => {
        const policy = policyFromFlags(opts);
        if (policy && opts.clear) throw new UsageError('Give policy flags or --clear, not both.');
        const desk = await ctx.desk(cmd);
        const stored = opts.clear || policy ? await desk['rotation:set-policy']({ storage: name, policy: policy ?? null }) : await desk['rotation:get-policy']({ storage: name });
        if (opts.json) ctx.out(JSON.stringify(stored));
        else ctx.out(stored ? `${name}: ${describePolicy(stored)}` : `${name}: no rotation policy`);
      });
  },
};
