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

/** Replaced by the component's schema name in `storage.sql.url` (`rampart_{service}` → `rampart_orders`). */
const SERVICE_PLACEHOLDER = '{service}';

export interface ComponentStoreOptions {
  readonly config: Readonly<RampartConfig>;
  /** The component's name: a key of `services`, or a platform component (`identity`, `audit`). */
  readonly component: string;
  /** The component's own state directory; the embedded file lives there. */
  readonly stateDir: string;
  /** The embedded store's file name in `stateDir`. */
  readonly embeddedFile: string;
  /** The directory of rampart.yaml: `${file:…}` references are relative to it. */
  readonly configDir: string;
  /** Pool and timeout settings for PostgreSQL. */
  readonly postgres?: Omit<PostgresStoreOptions, 'url' | 'schema'>;
}

export interface ServiceStoreOptions extends Omit<ComponentStoreOptions, 'component' | 'embeddedFile'> {
  /** The service's name, a key of `services`. */
  readonly serviceName: string;
}

/**
 * Opens the store `storage.sql` in rampart.yaml chooses for one component — a service, identity or
 * the audit service. Embedded (the default): `<stateDir>/<embeddedFile>`, one file per component.
 * PostgreSQL: `storage.sql.url` with `{service}` replaced by the component's schema name and its
 * `${env:…}`/`${file:…}` references resolved, pinned to that schema. The URL must log in as
 * `rampart_<component>` — the role `provisionServiceDatabase` creates — so no two components share
 * credentials (`SDK_STORE_ROLE_MISMATCH` otherwise). Give each process its own password through
 * its own environment or file: `postgres://rampart_{service}:${env:RAMPART_SQL_PASSWORD}@db/shop`.
 *
 * @example
 * const store = await openComponentStore({ config, component: 'audit', stateDir, embeddedFile: 'audit.db', configDir });
 */
export async function openComponentStore(options: ComponentStoreOptions): Promise<Store> {
  const { config, component } = options;
  const sql = config.storage?.sql;
  if (sql === undefined || sql.kind === 'embedded') {
    return openEmbeddedStore(join(options.stateDir, options.embeddedFile));
  }
  const schema = serviceSchemaName(component);
  const template = sql.url.replaceAll(SERVICE_PLACEHOLDER, schema);
  const url = template.includes('${')
    ? (await resolveSecret(template, options.configDir)).reveal()
    : template;
  const user = userOf(url);
  const role = serviceRoleName(component);
  if (user !== role) {
    throw new RampartError('SDK_STORE_ROLE_MISMATCH', {
      detail: `storage.sql.url logs in as "${user}", but ${component} must use its own role "${role}" (write rampart_{service})`,
    });
  }
  return openPostgresStore({ ...options.postgres, url, schema });
}

/**
 * {@link openComponentStore} for a service declared under `services`, in `<stateDir>/service.sqlite`
 * when embedded.
 *
 * @example
 * const store = await openServiceStore({ config, serviceName: 'orders', stateDir, configDir });
 * await store.migrate(migrations);
 */
export async function openServiceStore(options: ServiceStoreOptions): Promise<Store> {
  const { serviceName, ...rest } = options;
  if (options.config.services[serviceName] === undefined) {
    throw new TypeError(`service "${serviceName}" is not declared under services in rampart.yaml`);
  }
  return openComponentStore({ ...rest, component: serviceName, embeddedFile: EMBEDDED_STORE_FILE });
}

function userOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).username);
  } catch {
    throw new TypeError('storage.sql.url is not a valid URL once resolved (value not shown)');
  }
}
