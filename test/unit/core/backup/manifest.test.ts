import { describe, expect, it } from 'vitest';
import { manifestJson, odooPgVersion, odooRelease, pythonJson } from '../../../../shared/core/backup/manifest';

describe('manifest.json like Odoo', () => {
  it("computes pg_version with Odoo's true-division divmod", () => {
    expect(odooPgVersion(150004)).toBe('15.0');
    expect(odooPgVersion(170002)).toBe('17.0');
    expect(odooPgVersion(90624)).toBe('9.6');
    expect(odooPgVersion(100023)).toBe('10.0');
  });

  it('tells the release from base, with +e for Enterprise', () => {
    expect(odooRelease([['base', '16.0.1.3']])).toEqual({ version: '16.0', versionInfo: [16, 0, 0, 'final', 0, ''], majorVersion: '16.0' });
    expect(odooRelease([['web_enterprise', '17.0.1.0'], ['base', '17.0.1.3']])).toEqual({ version: '17.0+e', versionInfo: [17, 0, 0, 'final', 0, '+e'], majorVersion: '17.0' });
    expect(odooRelease([['base', 'saas~17.1.1.3']])?.majorVersion).toBe('saas~17.1');
    expect(odooRelease([['sale', '16.0.1.0']])).toBeUndefined();
  });

  it("writes Python's json.dumps(indent=4) with ensure_ascii, no trailing newline", () => {
    expect(pythonJson({ a: 'é€😀', b: [1, ''], c: {} })).toBe('{\n    "a": "\\u00e9\\u20ac\\ud83d\\ude00",\n    "b": [\n        1,\n        ""\n    ],\n    "c": {}\n}');
    const m = manifestJson('acme', { serverVersionNum: 150004, modules: [['base', '16.0.1.3'], ['contacts', '16.0.1.0']] });
    expect(JSON.parse(m)).toEqual({ odoo_dump: '1', db_name: 'acme', version: '16.0', version_info: [16, 0, 0, 'final', 0, ''], major_version: '16.0', pg_version: '15.0', modules: { base: '16.0.1.3', contacts: '16.0.1.0' } });
    expect(m.endsWith('}')).toBe(true);
  });
});
