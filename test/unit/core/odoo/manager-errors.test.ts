import { describe, expect, it } from 'vitest';
import { dispositionFilename, httpAnswerError, parseManagerPage } from '../../../../shared/core/odoo';
import { odooMajor } from '../../../../shared/core/odoo/version';

describe('reading Odoo database-manager answers', () => {
  it('finds the alert text, decoding QWeb escapes, and the list_db banner', () => {
    const page = '<html><head><title>Odoo</title></head><body>\n<div class="alert alert-danger text-center">The database manager has been disabled by the administrator</div>\n<div class="alert alert-danger">Database backup error: Database &#39;nope&#39; is not known &amp; &#34;gone&#34;\n</div></body></html>';
    expect(parseManagerPage(page)).toEqual({ error: 'Database backup error: Database \'nope\' is not known & "gone"', disabled: true, title: 'Odoo' });
    // Post-19 master: 422 with a plain "Could not … database." body.
    expect(parseManagerPage('<p>Could not restore database. Database already exists</p>').error).toBe('Could not restore database. Database already exists');
  });

  it('classifies post-19 4xx answers by Odoo\'s message, and proxies\' pages by status', () => {
    expect(httpAnswerError('restore', 422, undefined, '<p>Could not restore database. Database already exists</p>', { url: 'https://o', db: 'x' }).kind).toBe('Conflict');
    const gw = httpAnswerError('restore', 504, 'nginx', '<html><head><title>504 Gateway Time-out</title></head></html>', { url: 'https://o' });
    expect(gw.kind).toBe('Transient');
    expect(gw.hint).toMatch(/limit_time_real.*proxy_read_timeout/);
    expect(httpAnswerError('list', 403, 'nginx', '<title>403 Forbidden</title>', { url: 'https://o' }).kind).toBe('PermissionDenied');
  });

  it('hints fit the operation and name the instance: a disabled manager on a backup, an unknown database', () => {
    const disabled = '<div class="alert alert-danger text-center">The database manager has been disabled by the administrator</div><div class="alert alert-danger">Database backup error: Access Denied</div>';
    const backup = httpAnswerError('backup', 200, undefined, disabled, { url: 'https://o', db: 'shop', instance: 'erp' });
    expect(backup.kind).toBe('PermissionDenied');
    expect(backup.hint).toBe("Set list_db = True in the server's Odoo configuration, or back up from PostgreSQL directly (a postgres:// source).");
    expect(httpAnswerError('drop', 200, undefined, disabled.replace('backup', 'deletion'), { url: 'https://o', instance: 'erp' }).hint).toBe("Set list_db = True in the server's Odoo configuration.");
    expect(httpAnswerError('restore', 200, undefined, disabled.replace('backup', 'restore'), { url: 'https://o', instance: 'erp' }).hint).toMatch(/or restore through PostgreSQL directly/);
    const unknown = httpAnswerError('backup', 200, undefined, '<div class="alert alert-danger">Database backup error: FATAL: database "nope" does not exist</div>', { url: 'https://o', db: 'nope', instance: 'erp' });
    expect(unknown.kind).toBe('NotFound');
    expect(unknown.details?.cliHint).toBe('Check the database name (`backup-desk odoo dbs erp` lists them); with a dbfilter, use the hostname the filter expects.');
    expect(unknown.hint).not.toMatch(/NAME/);
  });

  it('a refused master password: the app is told its screen, the CLI the command naming the instance', () => {
    const e = httpAnswerError('backup', 200, undefined, '<div class="alert alert-danger">Database backup error: Access Denied</div>', { url: 'https://o', instance: 'erp' });
    expect(e.kind).toBe('AuthFailed');
    expect(e.hint).toBe("Check the master password (admin_passwd in the server's odoo.conf) and store the right one: Master password… on the Odoo instances screen.");
    expect(e.details?.cliHint).toBe("Check the master password (admin_passwd in the server's odoo.conf) and store the right one with `backup-desk odoo set-password erp`.");
  });

  it('reads filename* (the only name Odoo sends) and majors of every spelling', () => {
    expect(dispositionFilename("attachment; filename*=UTF-8''prod%C3%A9_2024-05-01_02-00-00.zip")).toBe('prodé_2024-05-01_02-00-00.zip');
    expect(dispositionFilename('attachment; filename="a.dump"')).toBe('a.dump');
    expect([odooMajor('17.0'), odooMajor('16.0+e-20221214'), odooMajor('saas~17.2'), odooMajor('12.0'), odooMajor('x')]).toEqual([17, 16, 17, 12, undefined]);
  });
});
