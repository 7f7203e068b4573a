/**
 * Credentials people already have from odoo_backup_sh: a Google service-account JSON key
 * (`odoo_backup_sh_google_disk.service_account_key`) and a long-lived Dropbox access token
 * (`odoo_backup_sh_dropbox.dropbox_access_token`). Both go to the secret store; the config
 * keeps only the non-secret `client_email`.
 */
import { AppError } from '../errors';
import type { SecretStore } from '../secrets/secret-store';
import type { ServiceAccountKey } from './token-source';

/** Validates the shape of a service-account JSON key; `InvalidInput` naming what is wrong (never echoing the key). */
export function parseServiceAccountKey(text: string): ServiceAccountKey {
  const bad = (why: string): AppError =>
    new AppError('InvalidInput', `This is not a Google service-account JSON key: ${why}.`, {
      hint: 'In the Google Cloud console open IAM & Admin → Service accounts → your account → Keys → Add key → JSON, and import the downloaded file.',
    });
  let raw: unknown;
  try {
    raw = JSON.parse(text.trim());
  } catch {
    throw bad('the file is not JSON');
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw bad('the file is not a JSON object');
  const k = raw as Record<string, unknown>;
  if (k.type !== 'service_account') throw bad(`"type" is ${k.type === undefined ? 'missing' : JSON.stringify(String(k.type))}, expected "service_account" (an OAuth client file is not a service-account key)`);
  if (typeof k.client_email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(k.client_email)) throw bad('"client_email" is missing or not an e-mail address');
  if (typeof k.private_key !== 'string' || !/-----BEGIN (RSA )?PRIVATE KEY-----/.test(k.private_key)) throw bad('"private_key" is missing or not a PEM private key');
  if (k.token_uri !== undefined && typeof k.token_uri !== 'string') throw bad('"token_uri" is not a string');
  return k as unknown as ServiceAccountKey;
}

/** Stores a service-account key as secret `serviceAccountKey`; returns the `client_email` for the config. */
export async function importServiceAccountKey(secrets: SecretStore, scope: string, keyJson: string): Promise<{ clientEmail: string }> {
  const key = parseServiceAccountKey(keyJson);
  await secrets.set(scope, 'serviceAccountKey', JSON.stringify(key));
  return { clientEmail: key.client_email };
}

/** Stores a legacy long-lived Dropbox access token as secret `accessToken`. */
export async function importDropboxAccessToken(secrets: SecretStore, scope: string, token: string): Promise<void> {
  const t = token.trim();
  if (!t || /\s/.test(t) || t.length < 16) {
    throw new AppError('InvalidInput', 'This does not look like a Dropbox access token.', {
      hint: 'Copy the token generated in the Dropbox App Console (Settings → Generated access token), or connect with `backup-desk storage connect NAME` instead.',
    });
  }
  await secrets.set(scope, 'accessToken', t);
}
