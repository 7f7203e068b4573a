/** Odoo version strings as servers and manifests spell them: `17.0`, `16.0+e-20221214`, `saas~17.2`, `17.0-20240101`. */

/** A server's version, from `/web/webclient/version_info`. */
export interface OdooServerVersion {
  /** `server_version` as the server says it (`17.0`, `16.0+e-20221214`). */
  readonly version: string;
  /** `server_serie` (`17.0`, `saas~17.2`). */
  readonly serie: string;
  /** The major version (17). */
  readonly major: number;
}

/** The major version in an Odoo version string, or undefined when there is none. */
export function odooMajor(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /(?:^|~|\s)(\d{1,3})\.\d+/.exec(v.trim()) ?? /^(\d{1,3})$/.exec(v.trim());
  return m ? Number(m[1]) : undefined;
}
