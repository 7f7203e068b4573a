/** The Desk's `openUrl` in the Electron host: an OAuth sign-in URL goes to the system browser only when it is a plain http(s) URL. */
import { AppError } from '../../shared/core/errors';
import { safeExternalUrl } from './security';

/** Wraps `openExternal` (Electron's `shell.openExternal`) with the `safeExternalUrl` check. */
export function signInOpener(openExternal: (url: string) => Promise<void>): (url: string) => Promise<void> {
  return async (url) => {
    const safe = safeExternalUrl(url);
    if (!safe) {
      throw new AppError('PermissionDenied', 'Refused to open a sign-in address that is not a plain http(s) URL.', {
        hint: "Check the storage's authUrl setting: it must be an https:// (or loopback http://) address.",
      });
    }
    await openExternal(safe);
  };
}
