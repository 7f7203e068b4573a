/** Restore drills: the checks that prove a restored backup is a working Odoo database. */
export { checkAdminUser, checkFilestore, checkModules, type DrillCheck } from './checks';
