/** The Odoo on this machine: its configuration file and what a restore into it needs. */
export * from './odoo-conf';
export * from './detect';
