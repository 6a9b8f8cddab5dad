/** What Rampart accepts as a schema or role name: lower case, safe unquoted, short. */
export const SQL_IDENTIFIER = /^[a-z][a-z0-9_]{0,40}$/;

/** Prefix of every service's PostgreSQL role. */
export const SERVICE_ROLE_PREFIX = 'rampart_';

/**
 * Returns `value` if it is a valid identifier, else throws a `TypeError` naming `what`. Callers
 * still quote it with `escapeIdentifier`: validation keeps names predictable, quoting keeps SQL safe.
 *
 * @example
 * assertSqlIdentifier('orders', 'schema'); // 'orders'
 */
export function assertSqlIdentifier(value: string, what: string): string {
  if (!SQL_IDENTIFIER.test(value)) {
    throw new TypeError(
      `${what} must match ${SQL_IDENTIFIER.source} (lower-case letters, digits, underscores; at most 41)`,
    );
  }
  return value;
}

/**
 * The schema a service's data lives in: its name with dashes as underscores (`card-vault` →
 * `card_vault`). Service names never contain underscores, so two services never share a schema.
 *
 * @example
 * serviceSchemaName('card-vault'); // 'card_vault'
 */
export function serviceSchemaName(service: string): string {
  return assertSqlIdentifier(service.replaceAll('-', '_'), `the schema of service "${service}"`);
}

/**
 * The PostgreSQL role a service logs in as: `rampart_<schema>`.
 *
 * @example
 * serviceRoleName('orders'); // 'rampart_orders'
 */
export function serviceRoleName(service: string): string {
  return SERVICE_ROLE_PREFIX + serviceSchemaName(service);
}
