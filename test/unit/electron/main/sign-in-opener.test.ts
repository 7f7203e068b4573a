import { describe, expect, it } from 'vitest';
import { signInOpener } from '../../../../electron/main/sign-in-opener';

describe('signInOpener', () => {
  it('hands a plain http(s) sign-in URL to openExternal, normalized', async () => {
    const opened: string[] = [];
    const open = signInOpener(async (u) => void opened.push(u));
    await open('https://www.dropbox.com/oauth2/authorize?client_id=k&redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fcallback');
    await open('http://127.0.0.1:9999/authorize?x=1');
    expect(opened).toEqual(['https://www.dropbox.com/oauth2/authorize?client_id=k&redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fcallback', 'http://127.0.0.1:9999/authorize?x=1']);
  });

  it('refuses other schemes and credentials in the URL, without calling openExternal', async () => {
    const opened: string[] = [];
    const open = signInOpener(async (u) => void opened.push(u));
    for (const bad of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'https://user:pw@evil.example/', 'not a url']) {
      await expect(open(bad)).rejects.toMatchObject({ kind: 'PermissionDenied', hint: expect.stringContaining('authUrl') });
    }
    expect(opened).toEqual([]);
  });
});
