import type { RampartConfig } from '@rampart/config';
import { openComponentStore, type Store } from '@rampart/sdk';

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
export function openIdentityStore(
  config: RampartConfig,
  stateDir: string,
  configDir: string,
): Promise<Store> {
  return openComponentStore({
    config,
    component: 'identity',
    stateDir,
    embeddedFile: IDENTITY_STORE_FILE,
    configDir,
  });
}
