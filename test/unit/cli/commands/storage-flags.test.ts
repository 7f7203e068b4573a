/** `storage add --help`: a flag shared by storage types says what it is for each of them. */
import { describe, expect, it } from 'vitest';
import { settingFlagDescription } from '../../../../shared/cli/commands/storage';
import { dropboxFields } from '../../../../shared/core/storage/dropbox/config';
import { gdriveFields } from '../../../../shared/core/storage/gdrive/config';
import { swiftFields } from '../../../../shared/core/storage/swift/config';

const field = (fields: typeof swiftFields, name: string): (typeof swiftFields)[number] => fields.find((f) => f.name === name)!;

describe('settingFlagDescription', () => {
  it("gives Swift's --auth-url its Keystone help, not Dropbox's OAuth one", () => {
    const desc = settingFlagDescription(['dropbox', 'swift', 'gdrive'], [field(dropboxFields, 'authUrl'), field(swiftFields, 'authUrl'), field(gdriveFields, 'authUrl')]);
    expect(desc).toMatch(/OAuth authorization URL — .*\[dropbox, gdrive\]/);
    expect(desc).toMatch(/Auth URL — Keystone v3 .*\[swift\]/);
  });

  it('keeps one text when every type shares it', () => {
    expect(settingFlagDescription(['dropbox', 'gdrive'], [field(dropboxFields, 'tokenUrl'), field(gdriveFields, 'tokenUrl')])).toMatch(/^OAuth token URL — .*\[dropbox, gdrive\]$/);
  });
});
