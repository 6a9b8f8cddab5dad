import { join } from 'node:path';
import { resolveSecret, type RampartConfig } from '@rampart/config';
import {
  openEmbeddedStore,
  openPostgresStore,
  serviceRoleName,
  serviceSchemaName,
  type Store,
} from '@rampart/sdk';

/** The embedded store's file in identity's state directory. */
export const IDENTITY_STORE_FILE = 'identity.sqlite';

/**
 * Opens identity's store as `storage.sql` says: an embedded file in its state directory, or
 * PostgreSQL as the role `rampart_identity` in its own schema (`{service}` in `storage.sql.url`
 * becomes `rampart_identity`, the password comes from `RAMPART_SQL_PASSWORD` like any service's).
 *
 * @example
 * const store = await openIdentityStore(config, stateDir, configDir);
 */
export async function openIdentityStore(
  config: RampartConfig,
  stateDir: string,
  configDir: string,
): Promise<Store> {
  const sql = config.storage?.sql;
  if (sql === undefined || sql.kind === 'embedded')
    return openEmbeddedStore(join(stateDir, IDENTITY_STORE_FILE));
  const schema = serviceSchemaName('identity');
  const template = sql.url.replaceAll('{service}', schema);
  const url = template.includes('${') ? (await resolveSecret(template, configDir)).reveal() : template;
  const user = decodeURIComponent(new URL(url).username);
  if (user !== serviceRoleName('identity')) {
    throw new TypeError(
      `storage.sql.url logs in as "${user}", but identity must use its own role "${serviceRoleName('identity')}" (write rampart_{service})`,
    );
  }
  return openPostgresStore({ url, schema });
}
