/** Rotation of backups: odoo_backup_sh's GFS model, keep-last-N and max age, per storage and database. */
export { GFS_TIERS, UNLIMITED, gfsKeep, gfsLimits, periodStart, type GfsPolicy, type GfsTier, type TierSetting } from './gfs';
export { planRotation, policyHasRules, type RotationCandidate, type RotationPlan } from './plan';
export { deleteBackups, rotateStorage, type RotateOptions } from './rotate';
export { RotationService, type RotationDeps, type RotationRequest } from './service';
export type { RotationLayout, RotationPolicy, RotationResult } from '../../contract/rotation';
