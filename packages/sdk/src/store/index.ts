export type { Store, Migration, SqlValue, RunResult } from './types.ts';
export type { StateTransition } from './transition.ts';
export { openEmbeddedStore, openStore } from './embedded.ts';
export { openPostgresStore, type PostgresStoreOptions } from './postgres.ts';
export {
  openComponentStore,
  openServiceStore,
  EMBEDDED_STORE_FILE,
  type ComponentStoreOptions,
  type ServiceStoreOptions,
} from './service-store.ts';
export { provisionServiceDatabase, type ProvisionOptions, type ProvisionedDatabase } from './provision.ts';
export { StoreQueryError, isUniqueViolation } from './store-error.ts';
export { SQL_IDENTIFIER, assertSqlIdentifier, serviceSchemaName, serviceRoleName } from './identifiers.ts';
export { scanPlaceholders, type ScannedSql, type SqlDialect } from './placeholders.ts';
