/** Restore drills: the checks that prove a restored backup is a working Odoo database. */
export { checkAdminUser, checkFilestore, checkModules, noFilestore, type DrillCheck } from './checks';
