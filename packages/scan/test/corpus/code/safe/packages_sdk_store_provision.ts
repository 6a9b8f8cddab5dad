import { createHash } from 'node:crypto';
import pg from 'pg';
import { Secret } from '@rampart/config';
import { serviceRoleName, serviceSchemaName } from './identifiers.ts';
import { scramSha256Verifier } from './scram.ts';

const { Client, escapeIdentifier, escapeLiteral } = pg;

const PROVISION_LOCK_KEY = createHash('sha256')
  .update('rampart:provision')
  .digest()
  .readBigInt64BE(0)
  .toString();

export interface ProvisionOptions {
  /** A URL of a role allowed to create roles and schemas (CREATEROLE, or a superuser). */
  readonly adminUrl: string | Secret;
  /** The service name from rampart.yaml (`card-vault` gets schema `card_vault`). */
  readonly service: string;
  /** The service role's password: printable ASCII, at least 16 characters. */
  readonly password: string | Secret;
  /** Most connections the role may hold; default 20. */
  readonly connectionLimit?: number;
}

export interface ProvisionedDatabase {
  /** `rampart_<schema>`. */
  readonly role: string;
  /** The service's schema, owned by its role. */
  readonly schema: string;
  /** The admin URL with the service's role and password instead: give it to the service only. */
  readonly url: Secret;
}

/**
 * Gives a service its own PostgreSQL role and schema, idempotently (run it at every deploy; it
 * re-asserts the attributes, grants and password). The role `rampart_<service>` may log in and
 * nothing else (NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS, bounded
 * connections); it owns schema `<service>` and is granted CONNECT on the database. From PUBLIC it
 * revokes every privilege on the database (CONNECT, TEMPORARY, CREATE), on schema `public` and on
 * the service's schema, so one service's role cannot see, create in or connect through anything
 * but its own schema. The password reaches PostgreSQL only as a SCRAM-SHA-256 verifier; neither
 * it nor the URL is logged. Concurrent calls serialize on an advisory lock.
 *
 * @example
 * const { url } = await provisionServiceDatabase({ adminUrl, service: 'orders', password });
 * await writeFile(join(stateDir, 'sql-url'), url.reveal(), { mode: 0o600 });
 */
export async function provisionServiceDatabase(options: ProvisionOptions): Promise<ProvisionedDatabase> {
  const schema = serviceSchemaName(options.service);
  const role = serviceRoleName(options.service);
  const password = typeof options.password === 'string' ? options.password : options.password.reveal();
  if (!/^[\x21-\x7e]{16,1024}$/.test(password)) {
    throw new TypeError('the service password must be 16 to 1024 printable ASCII characters, without spaces');
  }
  const limit = options.connectionLimit ?? 20;
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new TypeError('connectionLimit must be a positive integer');
  const adminUrl = typeof options.adminUrl === 'string' ? options.adminUrl : options.adminUrl.reveal();
  const serviceUrl = withCredentials(adminUrl, role, password);

  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const r = escapeIdentifier(role);
    const s = escapeIdentifier(schema);
    const attributes = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS CONNECTION LIMIT ${limit}`;
    const verifier = escapeLiteral(scramSha256Verifier(password));
    await client.query('BEGIN');
    try {
      // One lock for all services: concurrent GRANTs on one database row fail otherwise.
      await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [PROVISION_LOCK_KEY]);
      const existing = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      await client.query(
        existing.rowCount === 0
          ? `CREATE ROLE ${r} ${attributes} PASSWORD ${verifier}`
          : `ALTER ROLE ${r} ${attributes} PASSWORD ${verifier}`,
      );
      await client.query(`ALTER ROLE ${r} SET search_path = ${s}`);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${s} AUTHORIZATION ${r}`);
      await client.query(`ALTER SCHEMA ${s} OWNER TO ${r}`);
      await client.query(`REVOKE ALL ON SCHEMA ${s} FROM PUBLIC`);
      await client.query('REVOKE ALL ON SCHEMA public FROM PUBLIC');
      const database = escapeIdentifier(
        String((await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0]?.db),
      );
      await client.query(`REVOKE ALL ON DATABASE ${database} FROM PUBLIC`);
      await client.query(`GRANT CONNECT ON DATABASE ${database} TO ${r}`);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } finally {
    await client.end();
  }
  return { role, schema, url: new Secret(serviceUrl) };
}

function withCredentials(adminUrl: string, role: string, password: string): string {
  let url: URL;
  try {
    url = new URL(adminUrl);
  } catch {
    throw new TypeError('adminUrl is not a valid URL (value not shown)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new TypeError('adminUrl must start with postgres:// or postgresql://');
  }
  url.username = role;
  url.password = encodeURIComponent(password);
  return url.href;
}
