/** Opening a configured instance: its client with the master password from the secret store. */
import type { OdooInstance, OdooInstanceStore } from './instances';
import { OdooManagerClient, type OdooBackupStream, type OdooManagerOptions } from './manager-client';

/** An instance and a client for it. */
export interface OpenedInstance {
  readonly instance: OdooInstance;
  readonly client: OdooManagerClient;
}

/** The client for instance `name` (`NotFound` when unknown, `AuthFailed` when no master password is stored). */
export async function openInstance(store: OdooInstanceStore, name: string, opts: Omit<OdooManagerOptions, 'url' | 'masterPassword'> = {}): Promise<OpenedInstance> {
  const instance = await store.get(name);
  const masterPassword = await store.masterPassword(instance);
  return { instance, client: new OdooManagerClient({ ...opts, url: instance.url, masterPassword, instance: instance.name }) };
}

/**
 * Streams a backup of `db` from instance `name` through its database manager (the `odoo:NAME`
 * backup source): the readable is the archive as the server sends it, never buffered. Odoo
 * sends no Content-Length and builds a zip fully before its first byte, so validate the result.
 */
export async function streamInstanceBackup(store: OdooInstanceStore, name: string, db: string, format: 'zip' | 'dump', signal?: AbortSignal): Promise<OdooBackupStream & { readonly instance: OdooInstance }> {
  const { instance, client } = await openInstance(store, name);
  return { ...(await client.streamBackup(db, format, signal)), instance };
}
