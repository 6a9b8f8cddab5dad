import { join } from 'node:path';
import type { RampartConfig } from '@rampart/config';
import { resolveSecret } from '@rampart/config';
import { RampartError } from '@rampart/errors';
import { openEmbeddedStore } from './embedded.ts';
import { serviceRoleName, serviceSchemaName } from './identifiers.ts';
import { openPostgresStore, type PostgresStoreOptions } from './postgres.ts';
import type { Store } from './types.ts';

/** The embedded store's file name inside a service's state directory. */
export const EMBEDDED_STORE_FILE = 'service.sqlite';

/** Replaced by the service's schema name in `storage.sql.url` (`rampart_{service}` → `rampart_orders`). */
const SERVICE_PLACEHOLDER = '{service}';

export interface ServiceStoreOptions {
  readonly config: Readonly<RampartConfig>;
  /** The service's name, a key of `services`. */
  readonly serviceName: string;
  /** The service's own state directory; the embedded file lives there. */
  readonly stateDir: string;
  /** The directory of rampart.yaml: `${file:…}` references are relative to it. */
  readonly configDir: string;
  /** Pool and timeout settings for PostgreSQL. */
  readonly postgres?: Omit<PostgresStoreOptions, 'url' | 'schema'>;
}

/**
 * Opens the store `storage.sql` in rampart.yaml chooses for one service. Embedded (the default):
 * `<stateDir>/service.sqlite`, one file per service. PostgreSQL: `storage.sql.url` with
 * `{service}` replaced by the service's schema name and its `${env:…}`/`${file:…}` references
 * resolved, pinned to the service's schema. The URL must log in as `rampart_<service>` — the role
 * `provisionServiceDatabase` creates — so no two services share credentials
 * (`SDK_STORE_ROLE_MISMATCH` otherwise). Give each service process its own password through its
 * own environment or file: `postgres://rampart_{service}:${env:RAMPART_SQL_PASSWORD}@db/shop`.
 *
 * @example
 * const store = await openServiceStore({ config, serviceName: 'orders', stateDir, configDir });
 * await store.migrate(migrations);
 */
export async function openServiceStore(options: ServiceStoreOptions): Promise<Store> {
  const { config, serviceName } = options;
  if (config.services[serviceName] === undefined) {
    throw new TypeError(`service "${serviceName}" is not declared under services in rampart.yaml`);
  }
  const sql = config.storage?.sql;
  if (sql === undefined || sql.kind === 'embedded') {
    return openEmbeddedStore(join(options.stateDir, EMBEDDED_STORE_FILE));
  }
  const schema = serviceSchemaName(serviceName);
  const template = sql.url.replaceAll(SERVICE_PLACEHOLDER, schema);
  const url = template.includes('${')
    ? (await resolveSecret(template, options.configDir)).reveal()
    : template;
  const user = userOf(url);
  const role = serviceRoleName(serviceName);
  if (user !== role) {
    throw new RampartError('SDK_STORE_ROLE_MISMATCH', {
      detail: `storage.sql.url logs in as "${user}", but service "${serviceName}" must use its own role "${role}" (write rampart_{service})`,
    });
  }
  return openPostgresStore({ ...options.postgres, url, schema });
}

function userOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).username);
  } catch {
    throw new TypeError('storage.sql.url is not a valid URL once resolved (value not shown)');
  }
}
