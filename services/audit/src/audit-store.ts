import { existsSync } from 'node:fs';
import { resolveSecret, type RampartConfig } from '@rampart/config';
import { openComponentStore, openPostgresStore, serviceSchemaName, type Store } from '@rampart/sdk';
import { LEDGER_FILE, auditLedgerFile } from './layout.ts';

/**
 * Opens the audit service's own store as `storage.sql` says: `audit.db` in its state directory, or
 * PostgreSQL as the role `rampart_audit` in the schema `audit` (provisioned by `rampart up`
 * like any component's, its password handed over IPC at every start).
 *
 * @example
 * const store = await openAuditStore(config, stateDir, configDir);
 */
export function openAuditStore(config: RampartConfig, stateDir: string, configDir: string): Promise<Store> {
  return openComponentStore({ config, component: 'audit', stateDir, embeddedFile: LEDGER_FILE, configDir });
}

/** The audit trail, opened for an operator's command, and where it is (for messages). */
export interface OperatorAuditStore {
  readonly store: Store;
  /** `/…/.rampart/audit/audit.db`, or `PostgreSQL schema audit on host/db`. */
  readonly location: string;
}

/** The trail is not there yet: `message` says where it was looked for and what to do. */
export class AuditTrailMissingError extends Error {
  override readonly name = 'AuditTrailMissingError';
}

/**
 * Opens the audit trail for `rampart audit verify|search|tail`, which read the store itself rather
 * than trust the audit service. Embedded: the file in the audit service's state directory.
 * PostgreSQL: the schema `audit`, as `storage.sql.adminUrl` (the operator's credentials)
 * when set, else as `storage.sql.url` with `{service}` = `rampart_audit`, its references resolved
 * from the operator's environment. Throws {@link AuditTrailMissingError} when there is no trail.
 *
 * @example
 * const { store, location } = await openAuditStoreForOperator(config, state.componentDir('audit'), configDir);
 */
export async function openAuditStoreForOperator(
  config: RampartConfig,
  stateDir: string,
  configDir: string,
): Promise<OperatorAuditStore> {
  const sql = config.storage?.sql;
  if (sql === undefined || sql.kind === 'embedded') {
    const file = auditLedgerFile(stateDir);
    if (!existsSync(file)) {
      throw new AuditTrailMissingError(
        `the audit trail is not at ${file}; start the platform once with rampart up`,
      );
    }
    const store = await openComponentStore({
      config,
      component: 'audit',
      stateDir,
      embeddedFile: LEDGER_FILE,
      configDir,
    });
    return { store, location: file };
  }
  const schema = serviceSchemaName('audit');
  const reference = sql.adminUrl ?? sql.url.replaceAll('{service}', schema);
  const url = reference.includes('${') ? (await resolveSecret(reference, configDir)).reveal() : reference;
  const where = new URL(url);
  const location = `PostgreSQL schema ${schema} on ${where.host}${where.pathname}`;
  const store = openPostgresStore({ url, schema, maxConnections: 2 });
  try {
    await store.get('SELECT seq FROM audit_entries LIMIT 1');
  } catch {
    await store.close();
    throw new AuditTrailMissingError(
      `the audit trail is not in the ${location} (or cannot be read with these credentials); start the platform once with rampart up`,
    );
  }
  return { store, location };
}
